/**
 * config/notify.yaml (optional): webhook targets, SLA and ticket rule timings.
 * Missing file → defaults and no webhooks; an invalid file stops the hub with
 * file, line and field (like the rest of config/).
 *
 *   sla_hours: 24
 *   tickets: { group_wait_s: 30, hold_down_s: 300, reopen_window_h: 24, flap_threshold: 2, site_min_cameras: 2, tick_ms: 1000 }
 *   retry: { base_ms: 2000, max_ms: 300000, max_attempts: 12, timeout_ms: 5000 }
 *   webhooks:
 *     - { name: county, url: "http://…", format: json | wecom | dingtalk, towns: [ta], events: [opened, resolved], secret: … }
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigErrors } from '../county/config-error.ts';
import { YamlSource } from '../county/yaml-source.ts';
import { DEFAULT_TICKET_RULES, NOTIFY_EVENTS, type NotifyEvent, type TicketRules } from '../core/tickets/model.ts';

export const WEBHOOK_FORMATS = ['json', 'wecom', 'dingtalk'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookTarget {
  name: string;
  url: string;
  format: WebhookFormat;
  /** only tickets of these towns; empty = all */
  towns: string[];
  events: NotifyEvent[];
  /** DingTalk robot signing secret (加签) */
  secret: string | null;
}

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
  timeoutMs: number;
}

export interface NotifyConfig {
  rules: TicketRules;
  retry: RetryPolicy;
  webhooks: WebhookTarget[];
  /** how often the ticket rules look at the clock */
  tickMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 2000, maxMs: 300_000, maxAttempts: 12, timeoutMs: 5000 };

export function loadNotifyConfig(configDir: string): NotifyConfig {
  const file = join(configDir, 'notify.yaml');
  const out: NotifyConfig = { rules: { ...DEFAULT_TICKET_RULES }, retry: { ...DEFAULT_RETRY }, webhooks: [], tickMs: 1000 };
  if (!existsSync(file)) return out;
  const y = new YamlSource(file);
  const num = (path: string[], min: number, max: number): number | undefined => {
    const v = y.doc.getIn(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      y.fail(path, `must be a number from ${min} to ${max}`);
      return undefined;
    }
    return v;
  };
  const set = (v: number | undefined, f: (v: number) => void) => v !== undefined && f(v);
  set(num(['sla_hours'], 0.001, 24 * 365), (v) => (out.rules.slaMs = v * 3600_000));
  set(num(['tickets', 'group_wait_s'], 0, 3600), (v) => (out.rules.groupWaitMs = v * 1000));
  set(num(['tickets', 'hold_down_s'], 0, 86400), (v) => (out.rules.holdDownMs = v * 1000));
  set(num(['tickets', 'reopen_window_h'], 0, 24 * 90), (v) => (out.rules.reopenWindowMs = v * 3600_000));
  set(num(['tickets', 'flap_threshold'], 1, 1000), (v) => (out.rules.flapThreshold = Math.round(v)));
  set(num(['tickets', 'site_min_cameras'], 2, 10_000), (v) => (out.rules.siteMinCameras = Math.round(v)));
  set(num(['tickets', 'tick_ms'], 10, 60_000), (v) => (out.tickMs = v));
  set(num(['retry', 'base_ms'], 1, 3600_000), (v) => (out.retry.baseMs = v));
  set(num(['retry', 'max_ms'], 1, 86_400_000), (v) => (out.retry.maxMs = v));
  set(num(['retry', 'max_attempts'], 1, 1000), (v) => (out.retry.maxAttempts = Math.round(v)));
  set(num(['retry', 'timeout_ms'], 100, 120_000), (v) => (out.retry.timeoutMs = v));
  const names = new Set<string>();
  const n = y.listLength(['webhooks'], false);
  for (let i = 0; i < n; i++) {
    const p = ['webhooks', i];
    const name = y.str([...p, 'name'], { pattern: /^[A-Za-z0-9_.-]{1,64}$/ });
    const url = y.str([...p, 'url']);
    const format = (y.str([...p, 'format'], { required: false, oneOf: WEBHOOK_FORMATS }) ?? 'json') as WebhookFormat;
    if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) y.fail([...p, 'url'], 'must be an http:// or https:// URL');
    if (name !== undefined && names.has(name)) y.fail([...p, 'name'], `duplicate webhook name "${name}"`);
    const events = y.strList([...p, 'events']);
    for (const [j, e] of events.entries()) if (!(NOTIFY_EVENTS as readonly string[]).includes(e)) y.fail([...p, 'events', j], `"${e}" must be one of ${NOTIFY_EVENTS.join(', ')}`);
    // read before giving up on the target, so every problem of it is reported in one pass
    const towns = y.strList([...p, 'towns']);
    const secret = y.str([...p, 'secret'], { required: false }) ?? null;
    if (name === undefined || url === undefined) continue;
    names.add(name);
    out.webhooks.push({ name, url, format, towns, events: events.length ? (events as NotifyEvent[]) : [...NOTIFY_EVENTS], secret });
  }
  if (y.errors.length) throw new ConfigErrors(y.errors);
  return out;
}

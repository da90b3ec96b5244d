/**
 * Rules of config/notify.yaml: every knob is read into the unit the hub uses, out-of-range or
 * non-numeric values are refused with the allowed range, webhook targets are checked (name,
 * URL, format, events, duplicates) and every problem names file, line and field at once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../src/county/config-error.ts';
import { DEFAULT_TICKET_RULES } from '../../src/core/tickets/model.ts';
import { DEFAULT_RETRY, loadNotifyConfig } from '../../src/notify/config.ts';

function dirWith(yaml?: string): string {
  const d = mkdtempSync(join(tmpdir(), 'se-notify-cfg-'));
  if (yaml !== undefined) writeFileSync(join(d, 'notify.yaml'), yaml);
  return d;
}

const load = (yaml: string) => loadNotifyConfig(dirWith(yaml));

/** the problems an operator reads, as `notify.yaml:<line> [<field>]: <problem>` */
function problems(yaml: string): string[] {
  const d = dirWith(yaml);
  try {
    loadNotifyConfig(d);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigErrors);
    return (e as ConfigErrors).errors.map((x) => x.message.replace(`${d}/`, ''));
  }
  return [];
}

const HOOK = 'webhooks:\n  - { name: wx, url: "http://127.0.0.1:9/hook" }\n';

describe('notify.yaml timings and retry policy', () => {
  it('without a file the hub uses the defaults: 2 s retry base, 5 min cap, 12 attempts, 5 s timeout, 1 s tick', () => {
    const c = loadNotifyConfig(dirWith());
    expect(DEFAULT_RETRY).toEqual({ baseMs: 2000, maxMs: 300_000, maxAttempts: 12, timeoutMs: 5000 });
    expect(c.retry).toEqual({ baseMs: 2000, maxMs: 300_000, maxAttempts: 12, timeoutMs: 5000 });
    expect(c.tickMs).toBe(1000);
    expect(c.rules).toEqual(DEFAULT_TICKET_RULES);
  });

  it('a file that sets no timings keeps every default', () => {
    const c = load(HOOK);
    expect(c.rules).toEqual(DEFAULT_TICKET_RULES);
    expect(c.retry).toEqual(DEFAULT_RETRY);
    expect(c.tickMs).toBe(1000);
    expect(c.webhooks.map((w) => w.name)).toEqual(['wx']);
  });

  it('an empty file, or keys left empty (null), keep the defaults', () => {
    expect(load('').retry).toEqual(DEFAULT_RETRY);
    const c = load('sla_hours:\ntickets:\n  group_wait_s: ~\nretry:\n  base_ms: null\n');
    expect(c.rules).toEqual(DEFAULT_TICKET_RULES);
    expect(c.retry).toEqual(DEFAULT_RETRY);
    expect(c.webhooks).toEqual([]);
  });

  it('every knob is read and converted: hours and seconds to milliseconds, counts rounded to whole numbers', () => {
    const c = load(
      [
        'sla_hours: 1.5',
        'tickets:',
        '  group_wait_s: 45',
        '  hold_down_s: 120',
        '  reopen_window_h: 48',
        '  flap_threshold: 3.6',
        '  site_min_cameras: 4.4',
        '  tick_ms: 250',
        'retry:',
        '  base_ms: 500',
        '  max_ms: 60000',
        '  max_attempts: 7.5',
        '  timeout_ms: 3000',
        '',
      ].join('\n'),
    );
    expect(c.rules).toEqual({
      ...DEFAULT_TICKET_RULES,
      slaMs: 5_400_000,
      groupWaitMs: 45_000,
      holdDownMs: 120_000,
      reopenWindowMs: 172_800_000,
      flapThreshold: 4,
      siteMinCameras: 4,
      evidencePerCamera: 3,
    });
    expect(c.tickMs).toBe(250);
    expect(c.retry).toEqual({ baseMs: 500, maxMs: 60_000, maxAttempts: 8, timeoutMs: 3000 });
  });

  it('the bounds themselves are allowed', () => {
    const lo = load(
      'sla_hours: 0.001\ntickets: { group_wait_s: 0, hold_down_s: 0, reopen_window_h: 0, flap_threshold: 1, site_min_cameras: 2, tick_ms: 10 }\nretry: { base_ms: 1, max_ms: 1, max_attempts: 1, timeout_ms: 100 }\n',
    );
    expect(lo.rules.slaMs).toBe(3600);
    expect([lo.rules.groupWaitMs, lo.rules.holdDownMs, lo.rules.reopenWindowMs, lo.rules.flapThreshold, lo.rules.siteMinCameras, lo.tickMs]).toEqual([0, 0, 0, 1, 2, 10]);
    expect(lo.retry).toEqual({ baseMs: 1, maxMs: 1, maxAttempts: 1, timeoutMs: 100 });
    const hi = load(
      'sla_hours: 8760\ntickets: { group_wait_s: 3600, hold_down_s: 86400, reopen_window_h: 2160, flap_threshold: 1000, site_min_cameras: 10000, tick_ms: 60000 }\nretry: { base_ms: 3600000, max_ms: 86400000, max_attempts: 1000, timeout_ms: 120000 }\n',
    );
    expect(hi.rules.slaMs).toBe(8760 * 3600_000);
    expect([hi.rules.groupWaitMs, hi.rules.holdDownMs, hi.rules.reopenWindowMs, hi.rules.flapThreshold, hi.rules.siteMinCameras, hi.tickMs]).toEqual([
      3_600_000,
      86_400_000,
      2160 * 3600_000,
      1000,
      10_000,
      60_000,
    ]);
    expect(hi.retry).toEqual({ baseMs: 3_600_000, maxMs: 86_400_000, maxAttempts: 1000, timeoutMs: 120_000 });
  });

  it('a value just outside its range is refused, naming the line, the field and the allowed range', () => {
    expect(
      problems(
        'sla_hours: 0.0009\ntickets: { group_wait_s: -1, hold_down_s: 86401, reopen_window_h: 2161, flap_threshold: 0.5, site_min_cameras: 1, tick_ms: 9 }\nretry:\n  base_ms: 0\n  max_ms: 86400001\n  max_attempts: 1001\n  timeout_ms: 99\n',
      ),
    ).toEqual([
      'notify.yaml:1 [sla_hours]: must be a number from 0.001 to 8760',
      'notify.yaml:2 [tickets.group_wait_s]: must be a number from 0 to 3600',
      'notify.yaml:2 [tickets.hold_down_s]: must be a number from 0 to 86400',
      'notify.yaml:2 [tickets.reopen_window_h]: must be a number from 0 to 2160',
      'notify.yaml:2 [tickets.flap_threshold]: must be a number from 1 to 1000',
      'notify.yaml:2 [tickets.site_min_cameras]: must be a number from 2 to 10000',
      'notify.yaml:2 [tickets.tick_ms]: must be a number from 10 to 60000',
      'notify.yaml:4 [retry.base_ms]: must be a number from 1 to 3600000',
      'notify.yaml:5 [retry.max_ms]: must be a number from 1 to 86400000',
      'notify.yaml:6 [retry.max_attempts]: must be a number from 1 to 1000',
      'notify.yaml:7 [retry.timeout_ms]: must be a number from 100 to 120000',
    ]);
    expect(problems('tickets:\n  group_wait_s: 3601\n')).toEqual(['notify.yaml:2 [tickets.group_wait_s]: must be a number from 0 to 3600']);
  });

  it('a number written as text, NaN or infinity is refused', () => {
    expect(problems('sla_hours: "8"\n')).toEqual(['notify.yaml:1 [sla_hours]: must be a number from 0.001 to 8760']);
    expect(problems('sla_hours: eight\n')).toEqual(['notify.yaml:1 [sla_hours]: must be a number from 0.001 to 8760']);
    expect(problems('sla_hours: .nan\n')).toEqual(['notify.yaml:1 [sla_hours]: must be a number from 0.001 to 8760']);
    expect(problems('retry:\n  max_ms: .inf\n')).toEqual(['notify.yaml:2 [retry.max_ms]: must be a number from 1 to 86400000']);
    expect(problems('retry:\n  base_ms: -.inf\n')).toEqual(['notify.yaml:2 [retry.base_ms]: must be a number from 1 to 3600000']);
  });
});

describe('notify.yaml webhook targets', () => {
  it('a target without format is generic JSON, gets every event, no town filter and no secret', () => {
    expect(load(HOOK).webhooks).toEqual([
      { name: 'wx', url: 'http://127.0.0.1:9/hook', format: 'json', towns: [], events: ['opened', 'reopened', 'sla_breached', 'resolved'], secret: null },
    ]);
  });

  it('towns, events and the DingTalk signing secret are kept as written, in order', () => {
    const c = load(
      'webhooks:\n  - name: dd.county_1\n    url: https://oapi.dingtalk.com/robot/send?access_token=abc\n    format: dingtalk\n    towns: [tb, ta]\n    events: [resolved, sla_breached]\n    secret: SECabc123\n  - { name: wx-2, url: "http://h/x", format: wecom, events: [reopened] }\n',
    );
    expect(c.webhooks).toEqual([
      {
        name: 'dd.county_1',
        url: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
        format: 'dingtalk',
        towns: ['tb', 'ta'],
        events: ['resolved', 'sla_breached'],
        secret: 'SECabc123',
      },
      { name: 'wx-2', url: 'http://h/x', format: 'wecom', towns: [], events: ['reopened'], secret: null },
    ]);
  });

  it('a name is 1 to 64 letters, digits, "_", "." or "-"', () => {
    const name64 = 'n'.repeat(64);
    expect(load(`webhooks:\n  - { name: ${name64}, url: "http://h/" }\n`).webhooks[0]?.name).toBe(name64);
    expect(problems('webhooks:\n  - { name: wx hook, url: "http://h/" }\n')).toEqual(['notify.yaml:2 [webhooks.0.name]: "wx hook" does not match /^[A-Za-z0-9_.-]{1,64}$/']);
    expect(problems(`webhooks:\n  - { name: ${name64}x, url: "http://h/" }\n`)).toEqual([`notify.yaml:2 [webhooks.0.name]: "${name64}x" does not match /^[A-Za-z0-9_.-]{1,64}$/`]);
    expect(problems('webhooks:\n  - { name: "群/机器人", url: "http://h/" }\n')).toEqual(['notify.yaml:2 [webhooks.0.name]: "群/机器人" does not match /^[A-Za-z0-9_.-]{1,64}$/']);
  });

  it('the URL must be one http:// or https:// address with no blanks', () => {
    const bad = (url: string) => problems(`webhooks:\n  - name: a\n    url: "${url}"\n`);
    for (const url of ['ftp://h/x', 'see http://h/x', 'http://h/x y', 'http://', 'h/x'])
      expect(bad(url), url).toEqual(['notify.yaml:3 [webhooks.0.url]: must be an http:// or https:// URL']);
    for (const url of ['http://h', 'https://oapi.dingtalk.com/robot/send?access_token=x']) expect(bad(url), url).toEqual([]);
  });

  it('a missing name or URL is reported once, as required, and nothing else', () => {
    expect(problems('webhooks:\n  - { url: "http://h/" }\n')).toEqual(['notify.yaml:2 [webhooks.0.name]: is required']);
    expect(problems('webhooks:\n  - { name: a }\n')).toEqual(['notify.yaml:2 [webhooks.0.url]: is required']);
    expect(problems('webhooks:\n  - { name: a, url: "" }\n')).toEqual(['notify.yaml:2 [webhooks.0.url]: is required']);
  });

  it('a target missing its URL still has its other fields checked: every problem of it in one pass', () => {
    expect(problems('webhooks:\n  - name: a\n    towns: [{ t: 1 }]\n    secret: [x]\n')).toEqual([
      'notify.yaml:2 [webhooks.0.url]: is required',
      'notify.yaml:3 [webhooks.0.towns.0]: must be a string',
      'notify.yaml:4 [webhooks.0.secret]: must be a string',
    ]);
  });

  it('two targets with the same name are refused at the second one', () => {
    expect(problems('webhooks:\n  - { name: wx, url: "http://h/1" }\n  - { name: ok, url: "http://h/2" }\n  - { name: wx, url: "http://h/3" }\n')).toEqual([
      'notify.yaml:4 [webhooks.2.name]: duplicate webhook name "wx"',
    ]);
  });

  it('an unknown event is refused with the list of events a webhook can get', () => {
    expect(problems('webhooks:\n  - name: a\n    url: "http://h/"\n    events:\n      - opened\n      - closed\n')).toEqual([
      'notify.yaml:6 [webhooks.0.events.1]: "closed" must be one of opened, reopened, sla_breached, resolved',
    ]);
  });

  it('an unknown format is refused with the formats there are', () => {
    expect(problems('webhooks:\n  - { name: a, url: "http://h/", format: slack }\n')).toEqual(['notify.yaml:2 [webhooks.0.format]: "slack" must be one of json, wecom, dingtalk']);
  });

  it('webhooks must be a list', () => {
    expect(problems('webhooks:\n  name: a\n  url: "http://h/"\n')).toEqual(['notify.yaml:2 [webhooks]: must be a list']);
  });

  it('all problems of the file are reported together', () => {
    const d = dirWith('sla_hours: 0\nwebhooks:\n  - { name: a, url: "http://h/", events: [opened, nope] }\n  - { name: a, url: "http://h/" }\n');
    expect(() => loadNotifyConfig(d)).toThrow(/invalid configuration \(3 problems\)/);
  });
});

/** A hub with tickets wired, a county with one site of 8 cameras, a fake clock and a local webhook receiver. */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { DbKind } from '../support/databases.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { writeTinyCounty, AGENT_A, AGENT_B, CAMERA_PASSWORD } from '../support/tiny-county.ts';
import { batch, post, result } from '../support/reports.ts';
import type { OutboxWorker } from '../../src/notify/outbox-worker.ts';
import type { TicketService } from '../../src/services/tickets.ts';
import type { FaultClass } from '../../src/protocol/probe-result.ts';

export const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
/** town ta: c01..c08 behind site s8 (ga1: c01–c04, ga2: c05–c08); town tb: c09 (gb1), c10 (gb2), no site */
export const SITE8 = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08'];

export function writeTicketCounty(notifyYaml: string): string {
  const dir = writeTinyCounty();
  const rows = Array.from({ length: 10 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    const grid = i < 4 ? 'ga1' : i < 8 ? 'ga2' : i === 8 ? 'gb1' : 'gb2';
    const site = i < 8 ? 's8' : '';
    return `c${n},Camera ${n},${grid},${site},35.9${i},116.4${i},127.0.0.1,${9000 + i},/onvif/device_service,${9100 + i},/Streaming/Channels/101,hikvision,admin,${CAMERA_PASSWORD},`;
  });
  writeFileSync(join(dir, 'cameras.csv'), 'code,name,grid,site,lat,lon,host,onvif_port,onvif_path,rtsp_port,rtsp_path,vendor,username,password,agent\n' + rows.join('\n') + '\n');
  writeFileSync(join(dir, 'notify.yaml'), notifyYaml);
  return dir;
}

/** A webhook target as notify.yaml lists it (flow style). */
export interface WebhookSpec {
  name: string;
  url: string;
  format?: string;
  towns?: string[];
}

/** notify.yaml: one webhook "crews" at `webhooks` when it is a URL, or the listed targets. */
export function notifyYaml(webhooks?: string | WebhookSpec[], format = 'json'): string {
  const list: WebhookSpec[] = typeof webhooks === 'string' ? [{ name: 'crews', url: webhooks, format }] : (webhooks ?? []);
  const lines = list.map((w) => `  - { name: ${w.name}, url: "${w.url}", format: ${w.format ?? 'json'}${w.towns ? `, towns: [${w.towns.join(', ')}]` : ''} }`);
  return `sla_hours: 24
tickets: { group_wait_s: 30, hold_down_s: 60, reopen_window_h: 1, flap_threshold: 2, tick_ms: 60000 }
retry: { base_ms: 40, max_ms: 200, max_attempts: 8, timeout_ms: 2000 }
${lines.length ? `webhooks:\n${lines.join('\n')}\n` : ''}`;
}

export interface TicketHub {
  t: TestHub;
  svc: () => TicketService;
  outbox: () => OutboxWorker;
  clock: { now: number };
  /** report one round for these cameras (fault or ok); each agent gets its next seq */
  round(cameras: string[], fault: FaultClass | null, advanceMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTicketHub(kind: DbKind, webhooks?: string | WebhookSpec[], format = 'json'): Promise<TicketHub> {
  const configDir = writeTicketCounty(notifyYaml(webhooks, format));
  const clock = { now: T0 };
  const now = () => clock.now;
  const t = await startTestHub(kind, { configDir, now, sweepIntervalMs: 3_600_000 });
  const svc = () => t.hub.tickets;
  const seq = new Map<string, number>();
  return {
    t,
    clock,
    svc,
    outbox: () => t.hub.outbox,
    async round(cameras, fault, advanceMs = 30_000) {
      clock.now += advanceMs;
      for (const agent of [AGENT_A, AGENT_B]) {
        const mine = cameras.filter((c) => (agent === AGENT_A ? Number(c.slice(1)) <= 8 : Number(c.slice(1)) > 8));
        if (!mine.length) continue;
        const s = (seq.get(agent.id) ?? (await lastSeq(t, agent.id))) + 1;
        seq.set(agent.id, s);
        const r = await post(
          t.hub.app,
          agent.token,
          batch(
            s,
            mine.map((c) => result(c, clock.now, fault)),
            clock.now,
          ),
        );
        if (r.statusCode !== 200) throw new Error(`report: ${r.statusCode} ${r.body}`);
      }
      await svc().flush();
    },
    close: () => t.close(),
  };
}

async function lastSeq(t: TestHub, agent: string): Promise<number> {
  const [r] = await t.hub.db.query<{ m: string | null }>(`select max(seq)::text as m from ingest_batches where agent_id = $1`, [agent]);
  return Number(r?.m ?? 0);
}

/** Bring cameras online (one round) then offline (3 failing rounds = the debounce). */
export async function takeDown(h: TicketHub, cameras: string[], fault: FaultClass = 'unreachable'): Promise<void> {
  for (let i = 0; i < 3; i++) await h.round(cameras, fault);
}

export interface Receiver {
  url: string;
  /** accepted deliveries, in order */
  // biome-ignore lint/suspicious/noExplicitAny: webhook JSON as received, read freely by the tests
  received: { eventId: string; body: any }[];
  requests: number;
  /** answer 500 to the next n requests */
  failNext: number;
  /** answer 500 to everything while true */
  down: boolean;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const rx: Receiver = { url: '', received: [], requests: 0, failNext: 0, down: false, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      rx.requests++;
      if (rx.down || rx.failNext > 0) {
        if (rx.failNext > 0) rx.failNext--;
        res.writeHead(500).end('not now');
        return;
      }
      rx.received.push({ eventId: String(req.headers['x-event-id']), body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  rx.close = () => new Promise<void>((r) => server.close(() => r()));
  return rx;
}

export { until } from '../support/wait.ts';

/** The tickets table as the tests read it. */
export async function ticketRows(h: TicketHub) {
  return h.t.hub.db.query<{ id: number; kind: string; state: string; camera_codes: string[] }>(`select id, kind, state, camera_codes from tickets order by id`);
}

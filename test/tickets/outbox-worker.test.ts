/**
 * The notification outbox's rules, on the real OutboxWorker over a real database (PGlite from
 * the template) and a loopback receiver this file controls — no hub. Oldest row first, each
 * target's rows in order (a failing target holds back only its own), exponential back-off from
 * the RetryPolicy (base, doubling, capped at max), give-up after max_attempts keeping the last
 * error, delivery exactly once, robots judged by errcode, DingTalk signing, restart, stop, kick.
 *
 * Clocks: `Date.now` (the worker's back-off clock and the DingTalk timestamp) is frozen at
 * `wall` and moved by hand; the hub clock handed to the worker (`now`, for delivered_at and
 * failed_at) is a different value on purpose. The worker's retry timers are captured (their
 * delay recorded, never fired by time): a test fires one to play "the back-off ended".
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Ticket } from '../../src/core/tickets/model.ts';
import { openDatabase, type Database, type Querier } from '../../src/db/client.ts';
import { saveTicketChanges, type OutboxRow } from '../../src/db/ticket-store.ts';
import { createLogger } from '../../src/log.ts';
import type { RetryPolicy, WebhookTarget } from '../../src/notify/config.ts';
import type { NotifyPayload } from '../../src/notify/formats.ts';
import { OutboxWorker } from '../../src/notify/outbox-worker.ts';
import { pgliteTemplate } from '../support/databases.ts';
import { openTicket } from '../support/ticket-fixture.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
/** the hub clock (delivered_at, failed_at): deliberately not the back-off clock */
const HUB_NOW = T0 + 777_000;
const RETRY: RetryPolicy = { baseMs: 1000, maxMs: 5000, maxAttempts: 6, timeoutMs: 5000 };

// ---- the receiver ---------------------------------------------------------------------

interface Received {
  path: string;
  query: URLSearchParams;
  method: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  eventId: string;
}
type Reply = { status: number; body?: string } | 'hang';

let server: Server;
let base: string;
let received: Received[] = [];
/** queued replies per path; an empty queue answers 200 with `okBody(path)` */
let replies = new Map<string, Reply[]>();
const hanging: ServerResponse[] = [];
let waiters: { n: number; resolve: () => void }[] = [];

const okBody = (path: string) => (path.startsWith('/wc') || path.startsWith('/dt') ? '{"errcode":0,"errmsg":"ok"}' : 'ok');
function answer(path: string, ...r: Reply[]): void {
  replies.set(path, [...(replies.get(path) ?? []), ...r]);
}
/** resolves once the receiver has seen `n` requests in all */
function requests(n: number): Promise<void> {
  if (received.length >= n) return Promise.resolve();
  return new Promise((resolve) => waiters.push({ n, resolve }));
}
function release(reply: { status: number; body?: string } = { status: 200, body: 'ok' }): void {
  const res = hanging.shift();
  if (!res) throw new Error('no request is hanging');
  res.writeHead(reply.status).end(reply.body ?? '');
}
const seen = () => received.map((r) => `${r.path} ${r.eventId}`);

// ---- the database and the worker's clocks and timers -------------------------------------

let db: Database;
/** what the workers see: the real database, with a count of passes and a way to break it */
let view: Database;
let passes = 0;
let breakQuery: ((text: string) => Promise<never> | null) | null = null;

let wall = T0;
interface WorkerTimer {
  ms: number;
  fire: () => void;
  handle: NodeJS.Timeout;
  cleared: boolean;
}
let timers: WorkerTimer[] = [];
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const pendingTimers = () => timers.filter((t) => !t.cleared);

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}
let logLines: LogLine[] = [];
const logger = createLogger('outbox-test', { write: (s: string) => logLines.push(JSON.parse(s)) } as unknown as NodeJS.WritableStream);
const WARN = 40;
const ERROR = 50;

beforeAll(async () => {
  db = await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: pgliteTemplate() });
  const query: Querier['query'] = (text, params) => {
    if (text.includes('from notify_outbox where delivered_at is null')) passes++;
    const broken = breakQuery?.(text);
    if (broken) return broken;
    return db.query(text, params);
  };
  view = { kind: db.kind, orm: db.orm, transaction: (fn) => db.transaction(fn), close: () => db.close(), query };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({
        path: url.pathname,
        query: url.searchParams,
        method: req.method ?? '',
        headers: req.headers,
        body: text ? JSON.parse(text) : null,
        eventId: String(req.headers['x-event-id']),
      });
      const reply = replies.get(url.pathname)?.shift() ?? { status: 200, body: okBody(url.pathname) };
      if (reply === 'hang') hanging.push(res);
      else res.writeHead(reply.status).end(reply.body ?? '');
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
      waiters = waiters.filter((x) => received.length < x.n);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  vi.spyOn(Date, 'now').mockImplementation(() => wall);
  // the worker's timers (and only its own) are recorded instead of run
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number, ...rest: unknown[]) => {
    if (!/notify[\\/]outbox-worker\.ts/.test(new Error().stack ?? '')) return realSetTimeout(fn, ms, ...rest);
    const handle = realSetTimeout(() => {}, 2_147_483_647);
    timers.push({ ms: ms as number, fire: fn, handle, cleared: false });
    return handle;
  }) as unknown as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation((h?: NodeJS.Timeout | string | number) => {
    for (const t of timers) if (t.handle === h) t.cleared = true;
    realClearTimeout(h);
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await db?.close();
});

const workers: OutboxWorker[] = [];
beforeEach(async () => {
  await db.query('delete from notify_outbox');
  received = [];
  replies = new Map();
  waiters = [];
  logLines = [];
  passes = 0;
  breakQuery = null;
  wall = T0;
});
afterEach(async () => {
  while (hanging.length) release();
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  for (const t of timers) realClearTimeout(t.handle);
  timers = [];
});

// ---- fixtures ----------------------------------------------------------------------------

const json = (name: string): WebhookTarget => ({ name, url: `${base}/${name}`, format: 'json', towns: [], events: ['opened', 'resolved'], secret: null });

function ticket(id: number): Ticket {
  return openTicket(T0, { id });
}

const payloadOf = (eventKey: string): NotifyPayload => ({ eventId: eventKey, event: 'opened', at: T0, ticket: ticket(Number(eventKey.split('-')[0])) });

/** Queue rows as the ticket service does ("<ticket>-<rev>-<type>" → target), in this order. */
async function enqueue(...rows: [eventKey: string, target: string][]): Promise<void> {
  const out: OutboxRow[] = rows.map(([eventKey, target]) => ({ eventKey, target, payload: payloadOf(eventKey), createdAt: T0 }));
  await saveTicketChanges(db, [], [], out);
}

interface Stored {
  eventKey: string;
  target: string;
  attempts: number;
  lastError: string | null;
  deliveredAt: number | null;
  failedAt: number | null;
}
async function stored(eventKey: string, target: string): Promise<Stored> {
  const [r] = await db.query<Stored>(
    `select event_key as "eventKey", target, attempts, last_error as "lastError",
            (extract(epoch from delivered_at) * 1000)::float8 as "deliveredAt", (extract(epoch from failed_at) * 1000)::float8 as "failedAt"
       from notify_outbox where event_key = $1 and target = $2`,
    [eventKey, target],
  );
  if (!r) throw new Error(`no row ${eventKey} → ${target}`);
  const t = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  return { ...r, attempts: Number(r.attempts), deliveredAt: t(r.deliveredAt), failedAt: t(r.failedAt) };
}
const pending = (attempts: number, lastError: string | null) => ({ attempts, lastError, deliveredAt: null, failedAt: null });
const delivered = (attempts: number) => ({ attempts, lastError: null, deliveredAt: HUB_NOW, failedAt: null });

function worker(targets: WebhookTarget[], retry: RetryPolicy = RETRY): OutboxWorker {
  const w = new OutboxWorker(view, targets, retry, () => HUB_NOW, logger);
  workers.push(w);
  return w;
}
async function pass(w: OutboxWorker): Promise<void> {
  w.kick();
  await w.idle();
}
const tick = () => new Promise<void>((r) => setImmediate(r));

// ---- the rules ---------------------------------------------------------------------------

describe('delivery', () => {
  it('rows are delivered oldest first as a JSON POST carrying X-Event-Id, each exactly once, delivered_at from the hub clock', async () => {
    await enqueue(['1-1-opened', 'a'], ['2-1-opened', 'b'], ['3-1-opened', 'a']);
    const w = worker([json('a'), json('b')]);
    await pass(w);
    expect(seen()).toEqual(['/a 1-1-opened', '/b 2-1-opened', '/a 3-1-opened']);
    for (const r of received) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-event-id']).toBe(r.eventId);
    }
    expect(received[1]!.body).toEqual(payloadOf('2-1-opened'));
    expect(await stored('1-1-opened', 'a')).toMatchObject(delivered(1));
    expect(await stored('2-1-opened', 'b')).toMatchObject(delivered(1));
    expect(await stored('3-1-opened', 'a')).toMatchObject(delivered(1));
    expect([w.delivered, w.failedAttempts]).toEqual([3, 0]);
    // nothing left: another kick sends nothing and sets no retry timer
    await pass(w);
    expect(received).toHaveLength(3);
    expect(timers).toEqual([]);
    expect(logLines).toEqual([]);
  });

  it('a backlog larger than one page (200 rows) is all delivered after one kick, in order', async () => {
    const keys = Array.from({ length: 203 }, (_, i) => `${i + 1}-1-opened`);
    await enqueue(...keys.map((k): [string, string] => [k, 'a']));
    const w = worker([json('a')]);
    await pass(w);
    expect(received.map((r) => r.eventId)).toEqual(keys);
    expect(w.delivered).toBe(203);
    expect(passes).toBe(2); // a full page of 200 asks for another pass at once
  });

  it('a row for a target no longer in notify.yaml is given up at once with the reason, without holding back others', async () => {
    await enqueue(['1-1-opened', 'gone'], ['2-1-opened', 'gone'], ['3-1-opened', 'a']);
    const w = worker([json('a')]);
    await pass(w);
    expect(seen()).toEqual(['/a 3-1-opened']);
    for (const k of ['1-1-opened', '2-1-opened'])
      expect(await stored(k, 'gone')).toMatchObject({ attempts: 1, lastError: 'no webhook named gone in notify.yaml', deliveredAt: null, failedAt: HUB_NOW });
    expect([w.delivered, w.failedAttempts]).toEqual([1, 0]);
  });
});

describe('per-target order and back-off', () => {
  it("a failing target holds back its own later rows (also ones queued during its back-off) but not other targets'", async () => {
    answer('/a', { status: 500, body: 'busy' });
    await enqueue(['1-1-opened', 'a'], ['2-1-opened', 'a'], ['3-1-opened', 'b']);
    const w = worker([json('a'), json('b')]);
    await pass(w);
    expect(seen()).toEqual(['/a 1-1-opened', '/b 3-1-opened']);
    expect(await stored('1-1-opened', 'a')).toMatchObject(pending(1, 'HTTP 500 busy'));
    expect(await stored('2-1-opened', 'a')).toMatchObject(pending(0, null));
    expect(await stored('3-1-opened', 'b')).toMatchObject(delivered(1));
    // during a's back-off a new row for a waits behind the first; a new row for b goes at once
    await enqueue(['4-1-opened', 'a'], ['5-1-opened', 'b']);
    wall += 999;
    await pass(w);
    expect(seen()).toEqual(['/a 1-1-opened', '/b 3-1-opened', '/b 5-1-opened']);
    expect(pendingTimers().map((t) => t.ms)).toEqual([1]);
    wall += 1; // exactly base_ms after the failure
    await pass(w);
    expect(seen().slice(3)).toEqual(['/a 1-1-opened', '/a 2-1-opened', '/a 4-1-opened']);
    expect(await stored('1-1-opened', 'a')).toMatchObject(delivered(2));
    expect(await stored('2-1-opened', 'a')).toMatchObject(delivered(1));
    expect([w.delivered, w.failedAttempts]).toEqual([5, 1]);
    expect(received.filter((r) => r.eventId === '3-1-opened')).toHaveLength(1);
  });

  it('retries wait base_ms, doubling each time, capped at max_ms (1, 2, 4, 5, 5 s), and the retry timer is set to that wait', async () => {
    const expected = [1000, 2000, 4000, 5000, 5000]; // min(5000, 1000 · 2^(n−1))
    for (let n = 1; n <= 6; n++) answer('/a', { status: 503, body: `down ${n}` });
    await enqueue(['1-1-opened', 'a']);
    const w = worker([json('a')]);
    await pass(w);
    for (const [i, backoff] of expected.entries()) {
      const n = i + 1;
      expect(await stored('1-1-opened', 'a')).toMatchObject(pending(n, `HTTP 503 down ${n}`));
      expect(pendingTimers().map((t) => t.ms)).toEqual([backoff]);
      const line = logLines.at(-1)!;
      expect(line).toMatchObject({
        level: WARN,
        msg: 'notification failed; will retry',
        target: 'a',
        event: '1-1-opened',
        attempts: n,
        backoffMs: backoff,
        error: `HTTP 503 down ${n}`,
      });
      // one millisecond early: nothing is sent, and the timer is set for the rest
      wall += backoff - 1;
      await pass(w);
      expect(received).toHaveLength(n);
      expect(pendingTimers().map((t) => t.ms)).toEqual([1]);
      // the back-off ends: the timer's kick retries
      wall += 1;
      pendingTimers()[0]!.fire();
      await requests(n + 1);
      await w.idle();
      expect(received).toHaveLength(n + 1);
    }
    expect(w.failedAttempts).toBe(6);
    expect(w.delivered).toBe(0);
  });

  it('after max_attempts failures the row is given up: failed_at from the hub clock, the last error kept, later rows go on', async () => {
    answer('/a', { status: 500, body: 'first' }, { status: 502, body: 'second' }, { status: 503, body: 'third' });
    await enqueue(['1-1-opened', 'a'], ['2-1-opened', 'a']);
    const w = worker([json('a')], { ...RETRY, maxAttempts: 3 });
    await pass(w);
    wall += 1000;
    await pass(w);
    expect(await stored('1-1-opened', 'a')).toMatchObject(pending(2, 'HTTP 502 second'));
    wall += 2000;
    const timersBefore = timers.length;
    await pass(w);
    expect(await stored('1-1-opened', 'a')).toMatchObject({ attempts: 3, lastError: 'HTTP 503 third', deliveredAt: null, failedAt: HUB_NOW });
    // the given-up row no longer holds back the next one, which went in the same pass
    expect(seen()).toEqual(['/a 1-1-opened', '/a 1-1-opened', '/a 1-1-opened', '/a 2-1-opened']);
    expect(await stored('2-1-opened', 'a')).toMatchObject(delivered(1));
    expect(logLines.at(-1)).toMatchObject({ level: ERROR, msg: 'notification given up', target: 'a', event: '1-1-opened', attempts: 3, error: 'HTTP 503 third' });
    expect([w.delivered, w.failedAttempts]).toEqual([1, 3]);
    expect(timers).toHaveLength(timersBefore); // nothing left to retry: no new timer
    // it is never tried again
    wall += 60_000;
    await pass(w);
    expect(received).toHaveLength(4);
  });

  it('with max_attempts 1 the first failure gives up', async () => {
    answer('/a', { status: 500, body: 'no' });
    await enqueue(['1-1-opened', 'a']);
    const w = worker([json('a')], { ...RETRY, maxAttempts: 1 });
    await pass(w);
    expect(await stored('1-1-opened', 'a')).toMatchObject({ attempts: 1, lastError: 'HTTP 500 no', failedAt: HUB_NOW });
  });

  it('the next retry timer is set for the soonest back-off among the targets', async () => {
    answer('/a', { status: 500 }, { status: 500 });
    answer('/b', { status: 500 });
    await enqueue(['1-1-opened', 'a']);
    const w = worker([json('a'), json('b')]);
    await pass(w);
    wall += 1000;
    await pass(w); // a's second failure: 2 s
    expect(pendingTimers().map((t) => t.ms)).toEqual([2000]);
    wall += 500; // a has 1.5 s to wait; b fails now for the first time: 1 s
    await enqueue(['2-1-opened', 'b']);
    await pass(w);
    expect(pendingTimers().map((t) => t.ms)).toEqual([1000]);
    wall += 1000; // b's turn; a still has 0.5 s
    await pass(w);
    expect(seen().slice(-1)).toEqual(['/b 2-1-opened']);
    expect(pendingTimers().map((t) => t.ms)).toEqual([500]);
  });

  it('the error kept is the HTTP status and the first 200 characters of the body', async () => {
    const long = 'x'.repeat(150) + 'y'.repeat(150);
    answer('/a', { status: 500, body: long });
    await enqueue(['1-1-opened', 'a']);
    await pass(worker([json('a')]));
    expect((await stored('1-1-opened', 'a')).lastError).toBe(`HTTP 500 ${'x'.repeat(150)}${'y'.repeat(50)}`);
  });

  it('a receiver that does not answer within timeout_ms, or refuses the connection, is a failed attempt with that error', async () => {
    answer('/a', 'hang');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await enqueue(['1-1-opened', 'a'], ['2-1-opened', 'refused']);
    const w = worker([json('a'), { ...json('refused'), url: `http://127.0.0.1:${port}/x` }], { ...RETRY, timeoutMs: 50 });
    await pass(w);
    expect(await stored('1-1-opened', 'a')).toMatchObject(pending(1, 'The operation was aborted due to timeout'));
    expect(await stored('2-1-opened', 'refused')).toMatchObject(pending(1, 'fetch failed'));
    expect(w.failedAttempts).toBe(2);
  });
});

describe('robots', () => {
  it('a robot (WeCom) answering HTTP 200 with errcode ≠ 0 is a failed attempt; errcode 0 is delivered', async () => {
    const refusal = '{"errcode":93000,"errmsg":"invalid webhook url"}';
    answer('/wc', { status: 200, body: refusal });
    await enqueue(['7-1-opened', 'wc']);
    const w = worker([{ ...json('wc'), format: 'wecom', secret: 'not-used' }]);
    await pass(w);
    expect(await stored('7-1-opened', 'wc')).toMatchObject(pending(1, `HTTP 200 ${refusal}`));
    expect([w.delivered, w.failedAttempts]).toEqual([0, 1]);
    const body = received[0]!.body as { msgtype: string; markdown: { content: string } };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content.split('\n')[0]).toBe('### 新工单 #7');
    // a secret only signs DingTalk URLs
    expect(received[0]!.path).toBe('/wc');
    expect([...received[0]!.query.keys()]).toEqual([]);
    wall += 1000;
    await pass(w);
    expect(await stored('7-1-opened', 'wc')).toMatchObject(delivered(2));
    expect([w.delivered, w.failedAttempts]).toEqual([1, 1]);
  });

  it('a DingTalk robot with a secret is called on the signed URL: timestamp = now, sign = base64 HMAC-SHA256 of "timestamp\\nsecret"', async () => {
    const secret = 'SEC0123456789abcdef';
    wall = T0 + 4321;
    await enqueue(['8-1-opened', 'dt'], ['9-1-opened', 'dt-plain']);
    const w = worker([
      { ...json('dt'), url: `${base}/dt?access_token=tok1`, format: 'dingtalk', secret },
      { ...json('dt-plain'), url: `${base}/dt-plain?access_token=tok2`, format: 'dingtalk', secret: null },
    ]);
    await pass(w);
    const [signed, plain] = received;
    const sign = createHmac('sha256', secret)
      .update(`${T0 + 4321}\n${secret}`)
      .digest('base64');
    expect(signed!.path).toBe('/dt');
    expect(Object.fromEntries(signed!.query)).toEqual({ access_token: 'tok1', timestamp: String(T0 + 4321), sign });
    expect(plain!.path).toBe('/dt-plain');
    expect(Object.fromEntries(plain!.query)).toEqual({ access_token: 'tok2' });
    expect((signed!.body as { markdown: { title: string } }).markdown.title).toBe('新工单 #8');
    expect(await stored('8-1-opened', 'dt')).toMatchObject(delivered(1));
  });
});

describe('restart, stop, kick', () => {
  it('a row not delivered survives a restart: a new worker over the same database delivers it, and only it', async () => {
    answer('/a', { status: 500, body: 'down' });
    await enqueue(['1-1-opened', 'a'], ['2-1-opened', 'b']);
    const first = worker([json('a'), json('b')]);
    await pass(first);
    await first.stop();
    const second = worker([json('a'), json('b')]);
    await pass(second);
    expect(seen()).toEqual(['/a 1-1-opened', '/b 2-1-opened', '/a 1-1-opened']);
    expect(await stored('1-1-opened', 'a')).toMatchObject(delivered(2));
    expect([second.delivered, second.failedAttempts]).toEqual([1, 0]);
  });

  it('stop() waits for the delivery in flight, records its outcome, then sends nothing more', async () => {
    answer('/a', 'hang');
    await enqueue(['1-1-opened', 'a'], ['2-1-opened', 'b']);
    const w = worker([json('a'), json('b')]);
    w.kick();
    await requests(1);
    let stopped = false;
    const stopping = w.stop().then(() => (stopped = true));
    await tick();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await stored('1-1-opened', 'a')).toMatchObject(delivered(1));
    expect(await stored('2-1-opened', 'b')).toMatchObject(pending(0, null));
    expect(seen()).toEqual(['/a 1-1-opened']);
    // a kick after stop() starts no pass
    const before = passes;
    w.kick();
    await w.idle();
    expect(passes).toBe(before);
  });

  it('a failure in flight at stop() is recorded but leaves no retry timer behind', async () => {
    answer('/a', 'hang');
    await enqueue(['1-1-opened', 'a']);
    const w = worker([json('a')]);
    w.kick();
    await requests(1);
    const stopping = w.stop();
    release({ status: 500, body: 'late' });
    await stopping;
    expect(await stored('1-1-opened', 'a')).toMatchObject(pending(1, 'HTTP 500 late'));
    expect(timers).toEqual([]);
  });

  it('stop() cancels the retry timer; a retry timer never keeps the process alive and replaces the previous one', async () => {
    answer('/a', { status: 500 }, { status: 500 });
    await enqueue(['1-1-opened', 'a']);
    const w = worker([json('a')]);
    await pass(w);
    expect(timers).toHaveLength(1);
    expect(timers[0]!.handle.hasRef()).toBe(false);
    wall += 1000;
    await pass(w);
    expect(timers.map((t) => [t.ms, t.cleared])).toEqual([
      [1000, true],
      [2000, false],
    ]);
    expect(timers[1]!.handle.hasRef()).toBe(false);
    await w.stop();
    expect(pendingTimers()).toEqual([]);
  });

  it('kick() during a pass causes another pass, which delivers rows written meanwhile; nothing is sent twice', async () => {
    answer('/a', 'hang');
    await enqueue(['1-1-opened', 'a']);
    const w = worker([json('a')]);
    w.kick();
    await requests(1);
    await enqueue(['2-1-opened', 'a']);
    w.kick();
    w.kick();
    await tick();
    expect(received).toHaveLength(1);
    release();
    await w.idle();
    expect(seen()).toEqual(['/a 1-1-opened', '/a 2-1-opened']);
    expect(passes).toBe(2);
    expect(w.delivered).toBe(2);
  });

  it('after stop() no further pass starts, even when kicked during the last one', async () => {
    answer('/a', 'hang');
    await enqueue(['1-1-opened', 'a']);
    const w = worker([json('a')]);
    w.kick();
    await requests(1);
    w.kick(); // asks for another pass …
    const stopping = w.stop(); // … which stop() cancels
    release();
    await stopping;
    expect(passes).toBe(1);
  });

  it('a database error during a pass is logged and the pass retried after base_ms', async () => {
    await enqueue(['1-1-opened', 'a']);
    breakQuery = () => Promise.reject(new Error('database away'));
    const w = worker([json('a')]);
    await pass(w);
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatchObject({ level: WARN, msg: 'notification outbox pass failed; will retry', err: { message: 'database away' } });
    expect(pendingTimers().map((t) => t.ms)).toEqual([1000]);
    breakQuery = null;
    pendingTimers()[0]!.fire();
    await w.idle();
    expect(seen()).toEqual(['/a 1-1-opened']);
    expect(await stored('1-1-opened', 'a')).toMatchObject(delivered(1));
  });

  it('a database error in the pass cut short by stop() is not logged and sets no retry timer', async () => {
    await enqueue(['1-1-opened', 'a']);
    let fail: (e: Error) => void = () => {};
    breakQuery = () => new Promise<never>((_, reject) => (fail = reject));
    const w = worker([json('a')]);
    w.kick();
    await tick();
    const stopping = w.stop();
    fail(new Error('database away'));
    await stopping;
    expect(logLines).toEqual([]);
    expect(timers).toEqual([]);
  });
});

/**
 * Nothing lost to one bad item, the agent's side: every camera-controlled string is made safe
 * before it leaves (the hub then takes a result carrying a camera's 5 KB SOAP fault); a batch
 * the hub still refuses whole goes to the dead letters beside the spool (bounded in files and
 * bytes, counted on /metrics, replayable with `--replay-dead-letter`), never dropped; a refused
 * token is said as such (its own log line, metric and gauge) while reports stay spooled; the
 * ack's per-item refusals are counted by code.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../edge-agent/backoff.ts';
import { DeadLetter, replayDeadLetters } from '../../edge-agent/dead-letter.ts';
import { HubLink, type BatchSender, type SendOutcome } from '../../edge-agent/hub-link.ts';
import { AgentMetrics } from '../../edge-agent/metrics.ts';
import { cleanText, DETAIL_CAP, sanitizeResult } from '../../edge-agent/report-sanitize.ts';
import { Reporter } from '../../edge-agent/reporter.ts';
import { SeqStore } from '../../edge-agent/seq-store.ts';
import { Spool } from '../../edge-agent/spool.ts';
import type { ProbeResult, ReportAck, ReportBatch } from '../../src/protocol/probe-result.ts';
import { checkReportItem } from '../../src/protocol/report-items.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { AGENT_A } from '../support/tiny-county.ts';
import { FakeClock } from './fake-clock.ts';
import { captureLog, result } from './fixtures.ts';
import { metricValue, tmpDir } from './harness.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
function dir(): string {
  const d = tmpDir();
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
const b = (seq: number, n = 1): ReportBatch => ({ seq, sentAt: 1000, items: Array.from({ length: n }, (_, i) => result('C', 1000 + i)) });
const files = (d: string) => fs.readdirSync(d).sort();

/** A hub stand-in answering what `answer` says, recording every attempt. */
class Sender implements BatchSender {
  attempts: number[] = [];
  answer: (b: ReportBatch) => SendOutcome = (x) => ({ kind: 'ok', ack: { seq: x.seq, duplicate: false, accepted: x.items.length, refused: [] } });
  async sendBatch(x: ReportBatch): Promise<SendOutcome> {
    this.attempts.push(x.seq);
    return this.answer(x);
  }
  abort(): void {}
}

function reporterWith(sender: BatchSender, deadLetter: DeadLetter | { put: DeadLetter['put'] } | undefined, log = captureLog().log) {
  const d = dir();
  const clock = new FakeClock();
  const spool = new Spool({ dir: path.join(d, 'spool'), log });
  const metrics = new AgentMetrics(
    () => spool.stats(),
    () => (deadLetter instanceof DeadLetter ? deadLetter.stats() : null),
  );
  const reporter = new Reporter({
    hub: sender,
    spool,
    seq: new SeqStore(path.join(d, 'seq'), 1),
    clock,
    log,
    metrics,
    retry: new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.5 }),
    ...(deadLetter ? { deadLetter } : {}),
  });
  cleanup.push(async () => {
    await reporter.stop();
    spool.close();
  });
  reporter.start();
  return { reporter, clock, metrics, spool };
}

describe('dead letters on disk', () => {
  it('keeps each refused batch as one 0600 file with its status and the hub’s words, oldest first; remove() forgets one', () => {
    const d = dir();
    let now = 5000;
    const dl = new DeadLetter({ dir: d, now: () => now++ });
    const seven = b(7, 2);
    dl.put(seven, 422, 'bad batch');
    dl.put(b(9), 400, 'invalid body');
    expect(files(d)).toEqual(['dl-000000000005000-000000000007.json', 'dl-000000000005001-000000000009.json']);
    expect(fs.statSync(path.join(d, files(d)[0]!)).mode & 0o777).toBe(0o600);
    const list = dl.list();
    expect(list.map((e) => [e.batch.seq, e.status, e.detail, e.refusedAt, e.batch.items.length])).toEqual([
      [7, 422, 'bad batch', 5000, 2],
      [9, 400, 'invalid body', 5001, 1],
    ]);
    expect(list[0]!.batch).toEqual(seven);
    expect(dl.stats()).toEqual({ batches: 2, bytes: fs.statSync(path.join(d, files(d)[0]!)).size + fs.statSync(path.join(d, files(d)[1]!)).size });
    dl.remove(list[0]!.file);
    expect(dl.list().map((e) => e.batch.seq)).toEqual([9]);
  });

  it('is bounded in files: the oldest go first, counted and logged, never silently', () => {
    const d = dir();
    const { log, lines } = captureLog();
    const drops: [number, number][] = [];
    let now = 1;
    const dl = new DeadLetter({ dir: d, maxFiles: 3, log, now: () => now++, onDrop: (x, y) => drops.push([x, y]) });
    for (let s = 1; s <= 5; s++) dl.put(b(s, s), 400, 'x');
    expect(dl.list().map((e) => e.batch.seq)).toEqual([3, 4, 5]);
    expect(drops).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(lines.filter((l) => l.msg === 'dead letters full: oldest batch deleted').map((l) => [l.seq, l.items, l.level])).toEqual([
      [1, 1, 40],
      [2, 2, 40],
    ]);
  });

  it('is bounded in bytes: a new letter makes room for itself', () => {
    const d = dir();
    const one = Buffer.byteLength(JSON.stringify({ refusedAt: 1, status: 400, detail: 'x', batch: b(1, 20) }));
    let now = 1;
    const dl = new DeadLetter({ dir: d, maxBytes: Math.floor(one * 2.5), now: () => now++ });
    for (let s = 1; s <= 4; s++) dl.put(b(s, 20), 400, 'x');
    expect(dl.list().map((e) => e.batch.seq)).toEqual([3, 4]);
    expect(dl.stats().bytes).toBeLessThanOrEqual(dl.maxBytes);
  });

  it('ignores half-written and foreign files; an unreadable letter is logged and left in place', () => {
    const d = dir();
    const { log, lines } = captureLog();
    const dl = new DeadLetter({ dir: d, log, now: () => 1 });
    dl.put(b(1), 400, 'x');
    fs.writeFileSync(path.join(d, 'dl-000000000000002-000000000002.json.tmp'), '{"half');
    fs.writeFileSync(path.join(d, 'notes.txt'), 'hello');
    fs.writeFileSync(path.join(d, 'dl-000000000000003-000000000003.json'), '{"torn');
    expect(dl.list().map((e) => e.batch.seq)).toEqual([1]);
    expect(lines.filter((l) => l.msg === 'dead letter unreadable: left in place').map((l) => l.file)).toEqual(['dl-000000000000003-000000000003.json']);
    expect(fs.existsSync(path.join(d, 'dl-000000000000003-000000000003.json'))).toBe(true);
  });
});

describe('the reporter and a batch refused whole', () => {
  it('puts it in the dead letters (one attempt), counts it on /metrics, and goes on with the next', async () => {
    const d = dir();
    const dl = new DeadLetter({ dir: d });
    const sender = new Sender();
    sender.answer = (x) =>
      x.seq === 2
        ? { kind: 'rejected', status: 400, detail: 'invalid body: /items must be array' }
        : { kind: 'ok', ack: { seq: x.seq, duplicate: false, accepted: 1, refused: [] } };
    const { log, lines } = captureLog();
    const { reporter, clock, metrics } = reporterWith(sender, dl, log);
    const sent: ProbeResult[] = [];
    for (let t = 0; t < 3; t++) {
      const r = result('C', t);
      sent.push(r);
      reporter.add(r);
      await clock.advance(1000);
    }
    await clock.advance(5000);
    expect(sender.attempts).toEqual([1, 2, 3]);
    expect(dl.list().map((e) => [e.batch.seq, e.status, e.detail, e.batch.items])).toEqual([[2, 400, 'invalid body: /items must be array', [sent[1]]]]);
    expect(reporter.counters).toMatchObject({ rejected: 1, deadLettered: 1, sent: 2 });
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'sharpeyes_agent_dead_letter_written_total')).toBe(1);
    expect(metricValue(text, 'sharpeyes_agent_dead_letter_batches')).toBe(1);
    expect(metricValue(text, 'sharpeyes_agent_dead_letter_bytes')).toBe(dl.stats().bytes);
    expect(lines.find((l) => l.msg === 'hub refused report batch whole: kept as a dead letter (replay: --replay-dead-letter)')).toMatchObject({ seq: 2, status: 400, level: 50 });
  });

  it('a dead letter the disk refuses is said to be lost, and counted', async () => {
    const sender = new Sender();
    sender.answer = () => ({ kind: 'rejected', status: 422, detail: 'no' });
    const { log, lines } = captureLog();
    const { reporter, clock, metrics } = reporterWith(
      sender,
      {
        put: () => {
          throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        },
      },
      log,
    );
    reporter.add(result('C', 1));
    await clock.advance(1000);
    expect(lines.find((l) => l.msg === 'dead letter write failed: batch lost')).toMatchObject({ seq: 1, status: 422 });
    expect(reporter.counters.deadLettered).toBe(0);
    expect(metricValue(await metrics.registry.metrics(), 'sharpeyes_agent_report_errors_total{kind="dead_letter_write"}')).toBe(1);
  });
});

describe('the reporter and a refused token', () => {
  it('says so once (not "hub unavailable"), counts it, raises the gauge, keeps the reports spooled; clears when the token works again', async () => {
    const sender = new Sender();
    let auth = true;
    sender.answer = (x) =>
      auth ? { kind: 'retry', status: 401, detail: 'missing or unknown agent token', auth: true } : { kind: 'ok', ack: { seq: x.seq, duplicate: false, accepted: 1, refused: [] } };
    const { log, lines } = captureLog();
    const { reporter, clock, metrics, spool } = reporterWith(sender, undefined, log);
    for (let t = 0; t < 4; t++) {
      reporter.add(result('C', t));
      await clock.advance(1000);
    }
    expect(sender.attempts.length).toBeGreaterThan(2);
    const said = lines.filter((l) => l.msg === 'hub refused the agent token: reports are spooled (not lost) until the token is fixed');
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ status: 401, level: 50, seq: 1 });
    expect(lines.some((l) => l.msg === 'hub unavailable: spooling reports')).toBe(false);
    expect(spool.stats().batches).toBe(4);
    let text = await metrics.registry.metrics();
    expect(metricValue(text, 'sharpeyes_agent_hub_auth_refused')).toBe(1);
    expect(metricValue(text, 'sharpeyes_agent_report_errors_total{kind="auth"}')).toBe(reporter.counters.authFailures);
    expect(reporter.counters).toMatchObject({ transientErrors: 0, rejected: 0 });

    auth = false;
    await clock.advance(2000);
    expect(spool.stats().batches).toBe(0);
    expect(lines.some((l) => l.msg === 'hub accepts the agent token again: replaying spool')).toBe(true);
    text = await metrics.registry.metrics();
    expect(metricValue(text, 'sharpeyes_agent_hub_auth_refused')).toBe(0);
  });

  it('the hub link tells a refused token (401, 403) from the hub being away (503)', async () => {
    const http = await import('node:http');
    let status = 401;
    const server = http.createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{"message":"no"}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const link = new HubLink({ hubUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'x'.repeat(20) });
    cleanup.push(() => link.close());
    expect(await link.sendBatch(b(1))).toEqual({ kind: 'retry', status: 401, detail: '{"message":"no"}', auth: true });
    status = 403;
    expect(await link.sendBatch(b(1))).toMatchObject({ kind: 'retry', status: 403, auth: true });
    status = 503;
    expect(await link.sendBatch(b(1))).toEqual({ kind: 'retry', status: 503, detail: '{"message":"no"}' });
    status = 400;
    expect(await link.sendBatch(b(1))).toEqual({ kind: 'rejected', status: 400, detail: '{"message":"no"}' });
  });
});

describe('the reporter and items refused one by one', () => {
  it('counts them by the ack’s code (unspecified from older hubs) and logs the batch', async () => {
    const sender = new Sender();
    const refused: ReportAck['refused'] = [
      { index: 0, camera: 'C', reason: 'invalid item: /at must be integer', code: 'invalid' },
      { index: 1, camera: 'C', reason: "dated 400 s ahead of the hub's clock", code: 'future' },
      { index: 2, camera: 'Z', reason: 'unknown camera' },
    ];
    sender.answer = (x) => ({ kind: 'ok', ack: { seq: x.seq, duplicate: false, accepted: x.items.length - 3, refused } });
    const { log, lines } = captureLog();
    const { reporter, clock, metrics } = reporterWith(sender, undefined, log);
    for (let i = 0; i < 4; i++) reporter.add(result('C', i));
    await clock.advance(1000);
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'sharpeyes_agent_report_items_refused_total{code="invalid"}')).toBe(1);
    expect(metricValue(text, 'sharpeyes_agent_report_items_refused_total{code="future"}')).toBe(1);
    expect(metricValue(text, 'sharpeyes_agent_report_items_refused_total{code="unspecified"}')).toBe(1);
    expect(reporter.counters.itemsRefused).toBe(3);
    expect(lines.find((l) => l.msg === 'hub refused report items one by one (the rest applied)')).toMatchObject({ seq: 1, refused: 3, first: refused });
  });
});

describe('camera text made safe before it leaves', () => {
  it('strips control characters and bidi overrides, folds spaces, caps below the hub’s limit', () => {
    expect(cleanText('HTTP 500\r\nSOAP-ENV:Receiver\u0000\u001b[31m  ter:Action\u202eNotSupported\u0085 ')).toBe('HTTP 500 SOAP-ENV:Receiver [31m ter:Action NotSupported');
    const long = cleanText('x'.repeat(300));
    expect(long).toHaveLength(DETAIL_CAP);
    expect(long.endsWith('…')).toBe(true);
    expect(cleanText('ok as it is')).toBe('ok as it is');
    expect(cleanText('')).toBe('');
  });

  it('never cuts a surrogate pair in half', () => {
    const s = `${'a'.repeat(DETAIL_CAP - 2)}😀😀😀`;
    const out = cleanText(s);
    expect(out.length).toBeLessThanOrEqual(DETAIL_CAP);
    expect(out).toBe(`${'a'.repeat(DETAIL_CAP - 2)}…`);
    expect(cleanText(`${'a'.repeat(DETAIL_CAP - 3)}😀😀😀`)).toBe(`${'a'.repeat(DETAIL_CAP - 3)}😀…`);
  });

  it('a 256 KB hostile body is cut before it is cleaned (bounded work)', () => {
    const hostile = '\u0000 '.repeat(128 * 1024);
    const t0 = process.hrtime.bigint();
    expect(cleanText(hostile)).toBe('');
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(1000);
  });

  it('leaves a clean result untouched (the same object), copies only what it changes', () => {
    const r = result('C', 1);
    expect(sanitizeResult(r)).toBe(r);
    const dirty: ProbeResult = {
      ...r,
      rungs: [
        { rung: 'tcp', outcome: 'ok', ms: 1 },
        { rung: 'onvif_time', outcome: 'fail', ms: Number.POSITIVE_INFINITY, detail: 'bad\nline' },
        { rung: 'rtsp', outcome: 'skipped', ms: -3 },
      ],
    };
    const out = sanitizeResult(dirty);
    expect(out.rungs).toEqual([
      { rung: 'tcp', outcome: 'ok', ms: 1 },
      { rung: 'onvif_time', outcome: 'fail', ms: 0, detail: 'bad line' },
      { rung: 'rtsp', outcome: 'skipped', ms: 0 },
    ]);
    expect(out.rungs[0]).toBe(dirty.rungs[0]);
    expect(dirty.rungs[1]!.detail).toBe('bad\nline'); // the caller's object is not changed
  });

  it('Reporter.add() sanitises: what it sends passes the hub’s item check', async () => {
    const sender = new Sender();
    const seen: ReportBatch[] = [];
    sender.answer = (x) => {
      seen.push(x);
      return { kind: 'ok', ack: { seq: x.seq, duplicate: false, accepted: x.items.length, refused: [] } };
    };
    const { reporter, clock } = reporterWith(sender, undefined);
    const r: ProbeResult = {
      ...result('C', 1),
      rungs: [{ rung: 'onvif_time', outcome: 'fail', ms: 4, detail: `env:Sender\n${'ter:InvalidArgVal\t'.repeat(300)}` }],
      fault: 'onvif_down',
    };
    reporter.add(r);
    await clock.advance(1000);
    const item = seen[0]!.items[0]!;
    expect(item.rungs[0]!.detail!.length).toBeLessThanOrEqual(DETAIL_CAP);
    expect(item.rungs[0]!.detail!.startsWith('env:Sender ter:InvalidArgVal ter:InvalidArgVal')).toBe(true);
    expect(checkReportItem(JSON.parse(JSON.stringify(item))).ok).toBe(true);
  });
});

describe('against the real hub', () => {
  async function realHub(): Promise<{ t: TestHub; url: string }> {
    const t = await startTestHub('pglite');
    cleanup.push(() => t.close());
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    return { t, url: `http://127.0.0.1:${(t.hub.app.server.address() as AddressInfo).port}` };
  }

  it('a camera’s 5 KB SOAP fault goes through the reporter and is applied by the hub with its neighbours', async () => {
    const { t, url } = await realHub();
    const link = new HubLink({ hubUrl: url, token: AGENT_A.token });
    cleanup.push(() => link.close());
    const d = dir();
    const spool = new Spool({ dir: path.join(d, 'spool') });
    const reporter = new Reporter({ hub: link, spool, seq: new SeqStore(path.join(d, 'seq'), 1), flushMs: 20 });
    reporter.start();
    const now = Date.now();
    const soap: ProbeResult = {
      camera: 'c02',
      at: now,
      fault: 'onvif_down',
      rungs: [
        { rung: 'tcp', outcome: 'ok', ms: 1 },
        { rung: 'onvif_time', outcome: 'fail', ms: 8, detail: `SOAP-ENV:Receiver\n${'ter:ActionNotSupported\u0007 '.repeat(200)}` },
      ],
      clockOffsetMs: null,
    };
    // c01 must be online: from unknown the hub wants M = 2 consecutive successes (docs/accounting.md),
    // ≤ S = 120 s apart — at now − 30 s and at now, online from now − 30 s
    reporter.add({ camera: 'c01', at: now - 30_000, fault: null, rungs: [{ rung: 'tcp', outcome: 'ok', ms: 1 }], clockOffsetMs: 0 });
    reporter.add({ camera: 'c01', at: now, fault: null, rungs: [{ rung: 'tcp', outcome: 'ok', ms: 1 }], clockOffsetMs: 0 });
    reporter.add(soap);
    reporter.add({ camera: 'c03', at: now, fault: null, rungs: [{ rung: 'tcp', outcome: 'ok', ms: 1 }], clockOffsetMs: 0 });
    const deadline = Date.now() + 10_000;
    while (reporter.counters.sent < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await reporter.stop();
    spool.close();
    // one batch of 4 items: c01 ×2, the SOAP fault of c02, c03
    expect(reporter.counters).toMatchObject({ sent: 1, itemsSent: 4, rejected: 0, itemsRefused: 0 });
    const rows = await t.hub.db.query<{ accepted: number; refused: number }>(`select accepted, refused from ingest_batches where agent_id = $1`, [AGENT_A.id]);
    expect(rows).toEqual([{ accepted: 4, refused: 0 }]);
    expect(t.hub.monitor.cameras.get('c01')!.state).toBe('online');
    expect(t.hub.monitor.cameras.get('c02')!.fault).toBe('onvif_down');
  });

  it('replay: delivered letters are removed (seq kept, a second replay is harmless); a wrong token leaves them all; a refusal keeps that one', async () => {
    const { t, url } = await realHub();
    const d = dir();
    let now = 1;
    const dl = new DeadLetter({ dir: d, now: () => now++ });
    const at = Date.now();
    dl.put({ seq: 5, sentAt: at, items: [{ camera: 'c01', at, fault: null, rungs: [], clockOffsetMs: 0 }] }, 400, 'old hub');
    // c02 must come out online: M = 2 successes ≤ S apart (at − 30 s, at), online from at − 30 s
    dl.put(
      {
        seq: 6,
        sentAt: at,
        items: [
          { camera: 'c02', at: at - 30_000, fault: null, rungs: [], clockOffsetMs: 0 },
          { camera: 'c02', at, fault: null, rungs: [], clockOffsetMs: 0 },
        ],
      },
      400,
      'old hub',
    );
    const { log, lines } = captureLog();

    const wrong = new HubLink({ hubUrl: url, token: 'not-a-token-of-this-county-0123' });
    cleanup.push(() => wrong.close());
    expect(await replayDeadLetters(dl, wrong, log)).toEqual({ sent: 0, refused: 0, left: 2, refusedItems: 0 });
    expect(dl.stats().batches).toBe(2);
    expect(lines.find((l) => l.msg === 'hub unavailable: replay stopped, dead letters kept')).toMatchObject({ status: 401, left: 2 });

    const refusing = new Sender();
    refusing.answer = (x) =>
      x.seq === 5 ? { kind: 'rejected', status: 413, detail: 'too large' } : { kind: 'ok', ack: { seq: x.seq, duplicate: false, accepted: 1, refused: [] } };
    const d2 = dir();
    const dl2 = new DeadLetter({ dir: d2, now: () => now++ });
    for (const e of dl.list()) dl2.put(e.batch, e.status, e.detail);
    expect(await replayDeadLetters(dl2, refusing, log)).toEqual({ sent: 1, refused: 1, left: 0, refusedItems: 0 });
    expect(dl2.list().map((e) => e.batch.seq)).toEqual([5]);
    expect(lines.find((l) => l.msg === 'dead letter refused again: kept')).toMatchObject({ seq: 5, status: 413 });

    const link = new HubLink({ hubUrl: url, token: AGENT_A.token });
    cleanup.push(() => link.close());
    expect(await replayDeadLetters(dl, link, log)).toEqual({ sent: 2, refused: 0, left: 0, refusedItems: 0 });
    expect(dl.stats()).toEqual({ batches: 0, bytes: 0 });
    const rows = await t.hub.db.query<{ seq: string }>(`select seq::text from ingest_batches where agent_id = $1 order by seq`, [AGENT_A.id]);
    expect(rows.map((r) => Number(r.seq))).toEqual([5, 6]);
    expect(t.hub.monitor.cameras.get('c02')!.state).toBe('online');
    // the hub already has them: replaying the same letters again (e.g. a copy) is answered duplicate
    dl.put({ seq: 5, sentAt: at, items: [{ camera: 'c01', at, fault: null, rungs: [], clockOffsetMs: 0 }] }, 400, 'old hub');
    expect(await replayDeadLetters(dl, link, log)).toEqual({ sent: 1, refused: 0, left: 0, refusedItems: 0 });
    expect(lines.filter((l) => l.msg === 'dead letter delivered').at(-1)).toMatchObject({ seq: 5, duplicate: true });
  });

  it('`npm run agent -- --replay-dead-letter …` re-sends them and exits 0 (1 while any is left)', async () => {
    const { t, url } = await realHub();
    const data = dir();
    const dl = new DeadLetter({ dir: path.join(data, 'dead-letter') });
    const at = Date.now();
    // c04 must come out online: M = 2 successes ≤ S apart (at − 30 s, at), online from at − 30 s
    dl.put(
      {
        seq: 3,
        sentAt: at,
        items: [
          { camera: 'c04', at: at - 30_000, fault: null, rungs: [], clockOffsetMs: 0 },
          { camera: 'c04', at, fault: null, rungs: [], clockOffsetMs: 0 },
        ],
      },
      400,
      'old hub',
    );
    // the hub runs in this process: the child must be awaited asynchronously (spawnSync would block the hub)
    const child = async (token: string) => {
      return new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'edge-agent/main.ts', '--replay-dead-letter', '--hub', url, '--data', data], {
          env: { ...process.env, SHARPEYES_AGENT_TOKEN: token },
        });
        let out = '';
        p.stdout.on('data', (c: Buffer) => (out += c.toString()));
        p.stderr.on('data', (c: Buffer) => (out += c.toString()));
        const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
        p.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });
    };
    const refused = await child('not-a-token-of-this-county-0123');
    expect(refused.code).toBe(1);
    expect(dl.stats().batches).toBe(1);
    const done = await child(AGENT_A.token);
    expect(done.code).toBe(0);
    expect(done.out).toContain('dead-letter replay finished');
    expect(dl.stats().batches).toBe(0);
    expect(t.hub.monitor.cameras.get('c04')!.state).toBe('online');
  });
});

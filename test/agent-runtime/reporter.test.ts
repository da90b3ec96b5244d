import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../edge-agent/backoff.ts';
import type { BatchSender, SendOutcome } from '../../edge-agent/hub-link.ts';
import { Reporter } from '../../edge-agent/reporter.ts';
import { SeqStore } from '../../edge-agent/seq-store.ts';
import { Spool } from '../../edge-agent/spool.ts';
import type { ReportBatch } from '../../src/protocol/probe-result.ts';
import { FakeClock } from './fake-clock.ts';
import { captureLog, result, resultId } from './fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reporter-test-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A hub stand-in: `answer(batch)` decides; every attempt is recorded. */
class FakeSender implements BatchSender {
  attempts: number[] = [];
  accepted: ReportBatch[] = [];
  answer: (b: ReportBatch) => SendOutcome['kind'] = () => 'ok';
  async sendBatch(b: ReportBatch): Promise<SendOutcome> {
    this.attempts.push(b.seq);
    const kind = this.answer(b);
    if (kind === 'ok') {
      this.accepted.push(b);
      return { kind, ack: { seq: b.seq, duplicate: false, accepted: b.items.length, refused: [] } };
    }
    if (kind === 'rejected') return { kind, status: 422, detail: 'bad batch' };
    return { kind, status: 503, detail: 'unavailable' };
  }
  abort(): void {}
}

function make(clock: FakeClock, sender: FakeSender, log = captureLog().log) {
  const spool = new Spool({ dir: path.join(dir, 'spool'), log });
  const seq = new SeqStore(path.join(dir, 'seq'), spool.maxSeq + 1);
  const reporter = new Reporter({ hub: sender, spool, seq, clock, log, retry: new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.5 }) });
  return { spool, reporter };
}

describe('reporter', () => {
  it('cuts a batch at 500 results or every second, seqs strictly increasing from 1', async () => {
    const clock = new FakeClock();
    const sender = new FakeSender();
    const { reporter, spool } = make(clock, sender);
    reporter.start();
    for (let i = 0; i < 1200; i++) reporter.add(result('C', i));
    await clock.advance(0);
    expect(sender.accepted.map((b) => [b.seq, b.items.length])).toEqual([
      [1, 500],
      [2, 500],
    ]);
    await clock.advance(1000);
    for (let i = 0; i < 10; i++) reporter.add(result('C', i));
    await clock.advance(999);
    expect(sender.accepted.map((b) => b.items.length)).toEqual([500, 500, 200]);
    await clock.advance(1);
    expect(sender.accepted.map((b) => [b.seq, b.items.length])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
      [4, 10],
    ]);
    expect(fs.readdirSync(path.join(dir, 'spool')).filter((f) => f.startsWith('seg-'))).toEqual([]); // healthy: no disk
    await reporter.stop();
    spool.close();
  });

  it('persists seqs: a restart continues above, a crash leaves a gap but never reuses', () => {
    const a = new SeqStore(path.join(dir, 'seq'));
    expect([a.take(), a.take(), a.take()]).toEqual([1, 2, 3]);
    a.close();
    const b = new SeqStore(path.join(dir, 'seq'));
    expect(b.take()).toBe(4);
    // no close(): a crash
    const c = new SeqStore(path.join(dir, 'seq'));
    expect(c.take()).toBeGreaterThan(4);
    expect(new SeqStore(path.join(dir, 'x'), 77).take()).toBe(77); // above what the spool holds
  });

  it('spools while the hub fails and replays in seq order, once each, when it returns', async () => {
    const clock = new FakeClock();
    const sender = new FakeSender();
    const { reporter, spool } = make(clock, sender);
    reporter.start();
    let down = true;
    sender.answer = () => (down ? 'retry' : 'ok');
    const sent = new Set<string>();
    for (let t = 0; t < 60; t++) {
      for (let i = 0; i < 7; i++) {
        const r = result(`C${i}`, t);
        sent.add(resultId(r));
        reporter.add(r);
      }
      await clock.advance(1000);
    }
    expect(sender.accepted).toHaveLength(0);
    expect(spool.stats().batches).toBe(60);
    down = false;
    await clock.advance(2000);
    expect(spool.stats().batches).toBe(0);
    const seqs = sender.accepted.map((b) => b.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    const got = sender.accepted.flatMap((b) => b.items.map(resultId));
    expect(got).toHaveLength(sent.size);
    expect(new Set(got)).toEqual(sent);
    // retries were paced by back-off, not a hot loop
    expect(sender.attempts.length - sender.accepted.length).toBeLessThan(90); // ≈ 60 s / 750 ms
    await reporter.stop();
    spool.close();
  });

  it('drops a batch the hub refuses (4xx) after one attempt and goes on', async () => {
    const clock = new FakeClock();
    const sender = new FakeSender();
    const { log, lines } = captureLog();
    const { reporter, spool } = make(clock, sender, log);
    sender.answer = (b) => (b.seq === 2 ? 'rejected' : 'ok');
    reporter.start();
    for (let t = 0; t < 5; t++) {
      reporter.add(result('C', t));
      await clock.advance(1000);
    }
    await clock.advance(10_000);
    expect(sender.attempts.filter((s) => s === 2)).toHaveLength(1);
    expect(sender.accepted.map((b) => b.seq)).toEqual([1, 3, 4, 5]);
    expect(reporter.counters.rejected).toBe(1);
    expect(lines.some((l) => l.msg === 'hub refused report batch: dropped' && l.seq === 2)).toBe(true);
    await reporter.stop();
    spool.close();
  });

  it('stop() while the hub is away spools everything; the next run replays it first', async () => {
    const clock = new FakeClock();
    const sender = new FakeSender();
    sender.answer = () => 'retry';
    const first = make(clock, sender);
    first.reporter.start();
    for (let i = 0; i < 30; i++) first.reporter.add(result('C', i));
    await clock.advance(1000);
    for (let i = 0; i < 5; i++) first.reporter.add(result('C', i)); // still buffered at stop
    await first.reporter.stop(500);
    first.spool.close();

    sender.answer = () => 'ok';
    const second = make(clock, sender);
    expect(second.spool.stats()).toMatchObject({ batches: 2, items: 35 });
    second.reporter.start();
    second.reporter.add(result('C', 99));
    await clock.advance(1000);
    expect(sender.accepted.map((b) => b.items.length)).toEqual([30, 5, 1]);
    expect(sender.accepted.map((b) => b.seq)).toEqual([1, 2, 3]);
    await second.reporter.stop();
    second.spool.close();
  });
});

/**
 * The spool's disk full: a batch the spool cannot take is held in memory (in seq order after
 * the spool's batches), delivered from there when the hub answers, moved to disk as soon as
 * the spool writes again; only beyond heldItemsMax is a batch lost, oldest first, counted.
 */
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
import { captureLog, result } from './fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reporter-full-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

class Hub implements BatchSender {
  up = false;
  accepted: number[] = [];
  async sendBatch(b: ReportBatch): Promise<SendOutcome> {
    if (!this.up) return { kind: 'retry', status: 503, detail: 'unavailable' };
    this.accepted.push(b.seq);
    return { kind: 'ok', ack: { seq: b.seq, duplicate: false, accepted: b.items.length, refused: [] } };
  }
  abort(): void {}
}

/** A real spool whose disk can be "full": append throws ENOSPC while `full`. */
class FullableSpool extends Spool {
  full = false;
  override append(b: ReportBatch): void {
    if (this.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    super.append(b);
  }
}

function make(heldItemsMax?: number) {
  const clock = new FakeClock();
  const hub = new Hub();
  const cap = captureLog();
  const spool = new FullableSpool({ dir: path.join(dir, 'spool'), log: cap.log });
  const seq = new SeqStore(path.join(dir, 'seq'), spool.maxSeq + 1);
  const reporter = new Reporter({
    hub,
    spool,
    seq,
    clock,
    log: cap.log,
    retry: new Backoff({ baseMs: 100, maxMs: 200, random: () => 0.5 }),
    ...(heldItemsMax !== undefined ? { heldItemsMax } : {}),
  });
  return { clock, hub, spool, reporter, cap };
}

/** one batch of `n` results per second for `s` seconds */
async function produce(m: ReturnType<typeof make>, s: number, n = 10): Promise<void> {
  for (let k = 0; k < s; k++) {
    for (let i = 0; i < n; i++) m.reporter.add(result('C', k * 1000 + i));
    await m.clock.advance(1000);
  }
}

describe('reporter: the spool disk full', () => {
  it('holds what the spool cannot take and delivers every batch once, in seq order, when the hub returns', async () => {
    const m = make();
    m.reporter.start();
    await produce(m, 3); // hub away: spooled
    expect(m.spool.stats().batches).toBeGreaterThanOrEqual(3);
    m.spool.full = true;
    await produce(m, 5);
    expect(m.reporter.counters.heldBatches).toBeGreaterThanOrEqual(5);
    // one line for the episode, not one per batch
    expect(m.cap.lines.filter((l) => l.msg === 'spool write failed: batch held in memory')).toHaveLength(1);
    m.hub.up = true; // the hub back while the disk is still full
    await m.clock.advance(5000);
    const n = m.reporter.counters.batches;
    expect(m.hub.accepted).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(m.reporter.counters.heldBatches).toBe(0);
    expect(m.reporter.counters.lostBatches).toBe(0);
    expect(m.spool.stats().batches).toBe(0);
  });

  it('moves held batches to disk as soon as the spool writes again (a stop then loses nothing)', async () => {
    const m = make();
    m.reporter.start();
    await produce(m, 2);
    m.spool.full = true;
    await produce(m, 4);
    const held = m.reporter.counters.heldBatches;
    expect(held).toBeGreaterThanOrEqual(4);
    m.spool.full = false; // space returns
    await produce(m, 1);
    expect(m.reporter.counters.heldBatches).toBe(0);
    await m.reporter.stop();
    expect(m.reporter.counters.lostBatches).toBe(0);
    const seqs: number[] = [];
    while (!m.spool.isEmpty) {
      const b = m.spool.peek()!;
      seqs.push(b.seq);
      m.spool.ack(b.seq);
    }
    expect(seqs).toEqual(Array.from({ length: m.reporter.counters.batches }, (_, i) => i + 1));
  });

  it('loses only beyond heldItemsMax, oldest held first, each loss logged and counted; a stop with the disk full counts the rest', async () => {
    const m = make(30); // three 10-result batches
    m.reporter.start();
    m.spool.full = true;
    await produce(m, 6);
    const lostLines = () => m.cap.lines.filter((l) => l.msg === 'report batch lost: the spool could not take it');
    expect(m.reporter.counters.heldBatches).toBe(3);
    expect(lostLines().map((l) => l.seq)).toEqual([1, 2, 3]);
    await m.reporter.stop();
    expect(lostLines().map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.reporter.counters.lostBatches).toBe(6);
    expect(m.reporter.counters.heldBatches).toBe(0);
  });
});

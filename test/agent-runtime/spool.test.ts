import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../../edge-agent/spool.ts';
import type { ReportBatch } from '../../src/protocol/probe-result.ts';
import { captureLog, result } from './fixtures.ts';

let dir: string;
const quiet = captureLog().log;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-test-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const batch = (seq: number, items = 3): ReportBatch => ({
  seq,
  sentAt: 1_700_000_000_000 + seq,
  items: Array.from({ length: items }, (_, i) => result(`CAM${seq}-${i}`, seq)),
});

function drain(sp: Spool): number[] {
  const seqs: number[] = [];
  for (let b = sp.peek(); b; b = sp.peek()) {
    seqs.push(b.seq);
    sp.ack(b.seq);
  }
  return seqs;
}

const segFiles = () => fs.readdirSync(dir).filter((f) => f.startsWith('seg-'));

describe('spool', () => {
  it('returns batches in order with their seq, rotates segments, deletes acknowledged data', () => {
    const sp = new Spool({ dir, log: quiet, maxBytes: 1 << 20, segmentBytes: 4096 });
    const first = batch(1);
    sp.append(first);
    for (let s = 2; s <= 40; s++) sp.append(batch(s));
    expect(sp.stats().batches).toBe(40);
    expect(sp.stats().items).toBe(120);
    expect(segFiles().length).toBeGreaterThan(3);
    const b = sp.peek()!;
    expect(b).toEqual(first);
    expect(drain(sp)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(sp.stats()).toMatchObject({ batches: 0, bytes: 0, items: 0 });
    expect(segFiles()).toEqual([]);
    expect(() => sp.append(batch(40))).toThrow(/not above/);
    sp.close();
  });

  it('survives a restart: replays unacknowledged batches only, in order', () => {
    const a = new Spool({ dir, log: quiet, segmentBytes: 4096 });
    for (let s = 10; s < 30; s++) a.append(batch(s));
    a.ack(14);
    a.close();
    const b = new Spool({ dir, log: quiet, segmentBytes: 4096 });
    expect(b.maxSeq).toBe(29);
    expect(b.stats().batches).toBe(15);
    expect(b.peek()!.seq).toBe(15);
    b.append(batch(30));
    expect(drain(b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 15));
    b.close();
    const c = new Spool({ dir, log: quiet });
    expect(c.isEmpty).toBe(true);
    expect(c.maxSeq).toBe(30);
    c.close();
  });

  it('drops the oldest batches when over its byte bound, and counts and logs the drop', () => {
    const { log, lines } = captureLog();
    const drops: number[] = [];
    const one = Buffer.byteLength(JSON.stringify(batch(100)) + '\n');
    const sp = new Spool({ dir, maxBytes: one * 20, segmentBytes: one * 4, log, onDrop: (n) => drops.push(n) });
    for (let s = 100; s < 160; s++) sp.append(batch(s));
    const st = sp.stats();
    expect(st.bytes).toBeLessThanOrEqual(one * 20);
    expect(st.batches + st.droppedBatches).toBe(60);
    expect(st.droppedBatches).toBeGreaterThanOrEqual(40);
    expect(st.droppedItems).toBe(st.droppedBatches * 3);
    expect(drops.reduce((a, b) => a + b, 0)).toBe(st.droppedBatches);
    expect(lines.filter((l) => l.msg === 'spool full: dropped oldest batches').length).toBe(drops.length);
    // what is left is the newest tail, contiguous, in order
    const left = drain(sp);
    expect(left).toEqual(Array.from({ length: st.batches }, (_, i) => 160 - st.batches + i));
    sp.close();
  });

  it('skips and counts a torn trailing line after a crash, once', () => {
    const a = new Spool({ dir, log: quiet, segmentBytes: 1 << 20 });
    for (let s = 1; s <= 5; s++) a.append(batch(s));
    a.close();
    const seg = path.join(dir, segFiles()[0]!);
    const whole = JSON.stringify(batch(6));
    fs.appendFileSync(seg, whole.slice(0, whole.length / 2)); // power cut mid-write
    const b = new Spool({ dir, log: quiet });
    expect(b.stats().corruptLines).toBe(1);
    expect(b.stats().batches).toBe(5);
    b.append(batch(6));
    b.append(batch(7));
    b.close();
    const c = new Spool({ dir, log: quiet });
    expect(c.stats().corruptLines).toBe(0); // the torn tail was cut away
    expect(drain(c)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    c.close();
  });

  it('skips a corrupt line in the middle and keeps the rest', () => {
    const a = new Spool({ dir, log: quiet, segmentBytes: 1 << 20 });
    a.append(batch(1));
    a.close();
    const seg = path.join(dir, segFiles()[0]!);
    fs.appendFileSync(seg, '{"seq": 2, "items": [garbage\n' + JSON.stringify(batch(3)) + '\n');
    const b = new Spool({ dir, log: quiet });
    expect(b.stats().corruptLines).toBe(1);
    expect(drain(b)).toEqual([1, 3]);
    b.close();
  });
});

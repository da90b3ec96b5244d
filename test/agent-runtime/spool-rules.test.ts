/**
 * The spool's rules, one test each: its on-disk layout (file names, which files it reads),
 * segment sizing and rotation, the byte bound (inclusive, oldest whole segments dropped,
 * counted, logged), what a restart replays and what it counts as corrupt, a batch whose
 * bytes changed under it, and that it leaves no file descriptor open.
 * Every batch here serialises to the same length (LEN), so byte figures are computed by hand.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProbeResult, ReportBatch } from '../../src/protocol/probe-result.ts';

const loggerNames: string[] = [];
vi.mock('../../src/log.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/log.ts')>();
  return {
    ...real,
    createLogger: (name: string, destination?: NodeJS.WritableStream) => {
      loggerNames.push(name);
      return real.createLogger(name, destination);
    },
  };
});

const { Spool } = await import('../../edge-agent/spool.ts');
const { captureLog } = await import('./fixtures.ts');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-rules-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const item: ProbeResult = { camera: 'CAM1', at: 1, fault: null, rungs: [{ rung: 'tcp', outcome: 'ok', ms: 1 }], clockOffsetMs: null };
/** seq in 10..99 keeps every line the same length */
const batch = (seq: number, items = 1): ReportBatch => ({ seq, sentAt: 1_700_000_000_000, items: Array.from({ length: items }, () => item) });
const lineOf = (b: unknown): string => JSON.stringify(b) + '\n';
const LEN = Buffer.byteLength(lineOf(batch(10)));

const segFiles = (): string[] => fs.readdirSync(dir).filter((f) => f.startsWith('seg-'));
const size = (f: string): number => fs.statSync(path.join(dir, f)).size;
const quiet = () => captureLog().log;

function drain(sp: InstanceType<typeof Spool>): number[] {
  const seqs: number[] = [];
  for (let b = sp.peek(); b; b = sp.peek()) {
    seqs.push(b.seq);
    sp.ack(b.seq);
  }
  return seqs;
}

describe('spool layout on disk', () => {
  it('a segment file is named seg-<id padded to 10 digits>.jsonl', () => {
    const sp = new Spool({ dir, log: quiet() });
    sp.append(batch(10));
    expect(segFiles()).toEqual(['seg-0000000001.jsonl']);
    expect(fs.readFileSync(path.join(dir, 'seg-0000000001.jsonl'), 'utf8')).toBe(lineOf(batch(10)));
    sp.close();
  });

  it('only files named exactly seg-<n>.jsonl are read as segments; others are left alone', () => {
    fs.writeFileSync(path.join(dir, 'seg-0000000050.jsonl.bak'), lineOf(batch(50)));
    fs.writeFileSync(path.join(dir, 'old-seg-0000000060.jsonl'), lineOf(batch(60)));
    fs.writeFileSync(path.join(dir, 'seg-0000000002.jsonl'), lineOf(batch(20)));
    const sp = new Spool({ dir, log: quiet() });
    expect(sp.maxSeq).toBe(20);
    expect(drain(sp)).toEqual([20]);
    expect(sp.stats().corruptLines).toBe(0);
    sp.close();
    expect(fs.readdirSync(dir).sort()).toEqual(['acked', 'old-seg-0000000060.jsonl', 'seg-0000000050.jsonl.bak']);
  });

  it('segments are read in numeric id order, not name order, and new ids continue after the highest', () => {
    // by name seg-10 sorts before seg-9
    fs.writeFileSync(path.join(dir, 'seg-9.jsonl'), lineOf(batch(10)));
    fs.writeFileSync(path.join(dir, 'seg-10.jsonl'), lineOf(batch(11)));
    const sp = new Spool({ dir, log: quiet() });
    expect(sp.stats()).toMatchObject({ batches: 2, corruptLines: 0, bytes: 2 * LEN });
    sp.append(batch(12));
    expect(segFiles().sort()).toEqual(['seg-0000000011.jsonl', 'seg-10.jsonl', 'seg-9.jsonl']);
    expect(drain(sp)).toEqual([10, 11, 12]);
    sp.close();
  });

  it('without a logger of its own the spool logs as "agent.spool"', () => {
    loggerNames.length = 0;
    const sp = new Spool({ dir });
    expect(loggerNames).toEqual(['agent.spool']);
    sp.close();
  });

  it.runIf(fs.existsSync('/proc/self/fd'))('leaves no file descriptor open: not for writing, the directory fsync, reading back, or after close', () => {
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const sp = new Spool({ dir, log: quiet(), segmentBytes: 2 * LEN });
    for (let s = 10; s < 15; s++) sp.append(batch(s)); // three segments: three directory fsyncs
    expect(fds()).toBe(before + 1); // the segment being written
    expect(sp.peek()?.seq).toBe(10);
    expect(sp.peek()?.seq).toBe(10);
    expect(fds()).toBe(before + 1);
    sp.ack(11);
    sp.close();
    expect(fds()).toBe(before);
  });
});

describe('segment size and rotation', () => {
  it('the default segment size is an eighth of the bound, at least 4 KiB and at most 8 MiB', () => {
    const log = quiet();
    const sizeFor = (maxBytes?: number): number => {
      const sp = new Spool({ dir, log, ...(maxBytes === undefined ? {} : { maxBytes }) });
      sp.close();
      return sp.segmentBytes;
    };
    expect(sizeFor()).toBe(8 * 1024 * 1024); // default bound 256 MiB: /8 = 32 MiB, capped
    expect(sizeFor(100 * 1024 * 1024)).toBe(8 * 1024 * 1024);
    expect(sizeFor(1 << 20)).toBe(131_072);
    expect(sizeFor(40_000)).toBe(5_000);
    expect(sizeFor(10_000)).toBe(4_096);
    const explicit = new Spool({ dir, log, maxBytes: 1 << 20, segmentBytes: 5_000 });
    expect(explicit.segmentBytes).toBe(5_000);
    expect(explicit.maxBytes).toBe(1 << 20);
    explicit.close();
    const dflt = new Spool({ dir, log });
    expect(dflt.maxBytes).toBe(256 * 1024 * 1024);
    dflt.close();
  });

  it('a segment takes batches while they fit in segmentBytes (a full fit included), then a new segment starts', () => {
    const sp = new Spool({ dir, log: quiet(), segmentBytes: 2 * LEN });
    for (let s = 10; s <= 14; s++) sp.append(batch(s));
    expect(segFiles()).toEqual(['seg-0000000001.jsonl', 'seg-0000000002.jsonl', 'seg-0000000003.jsonl']);
    expect(segFiles().map(size)).toEqual([2 * LEN, 2 * LEN, LEN]);
    expect(sp.stats().bytes).toBe(5 * LEN);
    sp.close();
  });

  it('small batches share one segment file', () => {
    const sp = new Spool({ dir, log: quiet(), segmentBytes: 1 << 20 });
    for (let s = 10; s < 20; s++) sp.append(batch(s));
    expect(segFiles()).toEqual(['seg-0000000001.jsonl']);
    expect(size('seg-0000000001.jsonl')).toBe(10 * LEN);
    sp.close();
  });

  it('acknowledging every batch of the segment being written deletes it; the next batch goes to a new file that survives a restart', () => {
    const a = new Spool({ dir, log: quiet() });
    a.append(batch(10));
    a.append(batch(11));
    a.ack(11);
    expect(segFiles()).toEqual([]);
    expect(a.stats()).toMatchObject({ bytes: 0, batches: 0, items: 0 });
    a.append(batch(12));
    expect(segFiles()).toEqual(['seg-0000000002.jsonl']);
    expect(size('seg-0000000002.jsonl')).toBe(LEN);
    a.close();
    const b = new Spool({ dir, log: quiet() });
    expect(drain(b)).toEqual([12]);
    b.close();
  });

  it('deleting an older, fully acknowledged segment keeps appending to the segment being written', () => {
    const a = new Spool({ dir, log: quiet(), segmentBytes: 2 * LEN });
    for (let s = 10; s <= 12; s++) a.append(batch(s));
    a.ack(11);
    expect(segFiles()).toEqual(['seg-0000000002.jsonl']);
    a.append(batch(13));
    expect(segFiles()).toEqual(['seg-0000000002.jsonl']);
    expect(size('seg-0000000002.jsonl')).toBe(2 * LEN);
    a.close();
    const b = new Spool({ dir, log: quiet() });
    expect(drain(b)).toEqual([12, 13]);
    b.close();
  });
});

describe('acknowledgements', () => {
  it('an acknowledgement below the last one does not move the acked mark back', () => {
    const a = new Spool({ dir, log: quiet() });
    for (let s = 10; s <= 15; s++) a.append(batch(s));
    a.ack(13);
    a.ack(11);
    expect(fs.readFileSync(path.join(dir, 'acked'), 'utf8')).toBe('13');
    expect(a.peek()?.seq).toBe(14);
    a.close();
    const b = new Spool({ dir, log: quiet() });
    expect(b.stats()).toMatchObject({ batches: 2, corruptLines: 0 });
    expect(drain(b)).toEqual([14, 15]);
    b.close();
  });
});

describe('the byte bound', () => {
  it('is inclusive: batches that exactly fill maxBytes are all kept; one more drops the oldest whole segment', () => {
    const { log, lines } = captureLog();
    const drops: [number, number][] = [];
    const sp = new Spool({ dir, log, maxBytes: 4 * LEN, segmentBytes: 2 * LEN, onDrop: (b, i) => drops.push([b, i]) });
    for (let s = 10; s <= 13; s++) sp.append(batch(s));
    expect(sp.stats()).toMatchObject({ bytes: 4 * LEN, batches: 4, droppedBatches: 0 });
    expect(drops).toEqual([]);
    sp.append(batch(14));
    expect(sp.stats()).toEqual({ bytes: 3 * LEN, batches: 3, items: 3, droppedBatches: 2, droppedItems: 2, corruptLines: 0 });
    expect(drops).toEqual([[2, 2]]);
    const warn = lines.filter((l) => l.msg === 'spool full: dropped oldest batches');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ batches: 2, items: 2, firstSeq: 10, lastSeq: 11, maxBytes: 4 * LEN });
    expect(drain(sp)).toEqual([12, 13, 14]);
    sp.close();
  });

  it('counts dropped items apart from dropped batches, and works without an onDrop callback', () => {
    const batchLen = Buffer.byteLength(lineOf(batch(10, 3)));
    const sp = new Spool({ dir, log: quiet(), maxBytes: 3 * batchLen, segmentBytes: batchLen });
    for (let s = 10; s <= 14; s++) sp.append(batch(s, 3));
    expect(sp.stats()).toMatchObject({ batches: 3, items: 9, droppedBatches: 2, droppedItems: 6, bytes: 3 * batchLen });
    expect(drain(sp)).toEqual([12, 13, 14]);
    sp.close();
  });

  it('a batch larger than the whole bound drops everything older and is still kept', () => {
    const sp = new Spool({ dir, log: quiet(), maxBytes: 2 * LEN, segmentBytes: 2 * LEN });
    sp.append(batch(10));
    sp.append(batch(11));
    sp.append(batch(12, 5));
    expect(sp.stats()).toMatchObject({ batches: 1, items: 5, droppedBatches: 2, droppedItems: 2 });
    expect(drain(sp)).toEqual([12]);
    sp.close();
  });
});

describe('reopening the spool', () => {
  it('replays the unacknowledged batches; lines already acknowledged are skipped silently, not counted as corrupt', () => {
    const a = new Spool({ dir, log: quiet() });
    for (let s = 10; s <= 14; s++) a.append(batch(s, 2));
    a.ack(12);
    a.close();
    const bytes = size('seg-0000000001.jsonl');
    const { log, lines } = captureLog();
    const b = new Spool({ dir, log });
    expect(b.stats()).toEqual({ bytes, batches: 2, items: 4, droppedBatches: 0, droppedItems: 0, corruptLines: 0 });
    expect(lines.filter((l) => l.msg === 'spool opened with unsent batches')).toEqual([expect.objectContaining({ level: 30, bytes, batches: 2, items: 4, corruptLines: 0 })]);
    expect(drain(b)).toEqual([13, 14]);
    // the replayed segment is deleted once its last batch is acknowledged
    expect(segFiles()).toEqual([]);
    expect(b.stats().bytes).toBe(0);
    b.close();
  });

  it('an empty spool opens without the "unsent batches" line', () => {
    const { log, lines } = captureLog();
    const sp = new Spool({ dir, log });
    expect(lines).toEqual([]);
    sp.close();
  });

  it('a segment on disk holding only acknowledged batches is deleted at open', () => {
    fs.writeFileSync(path.join(dir, 'acked'), '11\n');
    fs.writeFileSync(path.join(dir, 'seg-0000000003.jsonl'), lineOf(batch(10)) + lineOf(batch(11)));
    const { log, lines } = captureLog();
    const sp = new Spool({ dir, log });
    expect(segFiles()).toEqual([]);
    expect(sp.isEmpty).toBe(true);
    expect(sp.maxSeq).toBe(11);
    expect(sp.stats()).toMatchObject({ bytes: 0, batches: 0, corruptLines: 0 });
    expect(lines).toEqual([]);
    sp.close();
  });

  it('a repeated or out-of-order line is counted as corrupt, logged with its segment and offset, and skipped', () => {
    const file = 'seg-0000000001.jsonl';
    fs.writeFileSync(path.join(dir, file), [10, 12, 12, 11, 13].map((s) => lineOf(batch(s))).join(''));
    const { log, lines } = captureLog();
    const sp = new Spool({ dir, log });
    expect(sp.stats()).toMatchObject({ batches: 3, corruptLines: 2, bytes: 5 * LEN });
    const warned = lines.filter((l) => l.msg === 'spool: corrupt or out-of-order line skipped');
    expect(warned.map((l) => [l.level, l.segment, l.offset])).toEqual([
      [40, file, 2 * LEN],
      [40, file, 3 * LEN],
    ]);
    expect(drain(sp)).toEqual([10, 12, 13]);
    sp.close();
  });

  it('an empty line at the start of a segment is skipped, and the batches after it are kept', () => {
    fs.writeFileSync(path.join(dir, 'seg-0000000001.jsonl'), '\n' + lineOf(batch(10)) + lineOf(batch(11)));
    const sp = new Spool({ dir, log: quiet() });
    expect(sp.stats()).toMatchObject({ batches: 2, corruptLines: 1 });
    expect(drain(sp)).toEqual([10, 11]);
    sp.close();
  });

  it('a JSON line that is not a batch (seq not a safe integer, items not a list, null) is corrupt', () => {
    const bad = ['{"seq":"12","items":[]}', '{"seq":12.5,"items":[]}', '{"seq":12,"items":{}}', '{"items":[]}', 'null', '{"seq":12}'];
    fs.writeFileSync(path.join(dir, 'seg-0000000001.jsonl'), lineOf(batch(10)) + bad.map((l) => l + '\n').join('') + lineOf(batch(13)));
    const sp = new Spool({ dir, log: quiet() });
    expect(sp.stats()).toMatchObject({ batches: 2, items: 2, corruptLines: bad.length });
    expect(sp.maxSeq).toBe(13);
    expect(drain(sp)).toEqual([10, 13]);
    sp.close();
  });
});

describe('a spooled batch damaged after it was written', () => {
  it('whose bytes changed on disk (another seq, or garbage) is skipped when read back, counted and logged', () => {
    const { log, lines } = captureLog();
    const sp = new Spool({ dir, log });
    for (let s = 10; s <= 13; s++) sp.append(batch(s));
    const file = path.join(dir, 'seg-0000000001.jsonl');
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, lineOf(batch(17)), 0); // same length, another seq
    fs.writeSync(fd, 'x'.repeat(LEN - 1), LEN); // garbage over batch 11
    fs.closeSync(fd);
    expect(sp.peek()?.seq).toBe(12);
    expect(sp.stats()).toMatchObject({ corruptLines: 2, batches: 2 });
    const errors = lines.filter((l) => l.msg === 'spooled batch unreadable; skipped');
    expect(errors.map((l) => [l.level, l.seq, l.segment])).toEqual([
      [50, 10, 'seg-0000000001.jsonl'],
      [50, 11, 'seg-0000000001.jsonl'],
    ]);
    expect(drain(sp)).toEqual([12, 13]);
    sp.close();
  });

  it('a segment file removed underneath: its batches are skipped as corrupt, the rest still drain, nothing throws', () => {
    const sp = new Spool({ dir, log: quiet(), segmentBytes: 2 * LEN });
    for (let s = 10; s <= 12; s++) sp.append(batch(s));
    fs.rmSync(path.join(dir, 'seg-0000000001.jsonl'));
    expect(drain(sp)).toEqual([12]);
    expect(sp.stats()).toMatchObject({ corruptLines: 2, batches: 0, bytes: 0 });
    sp.close();
  });
});

describe('a long backlog', () => {
  it('after more than 1024 batches are consumed, the rest are still served once each, in order', () => {
    const shm = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/spool-rules-') : fs.mkdtempSync(path.join(os.tmpdir(), 'spool-long-'));
    try {
      const sp = new Spool({ dir: shm, log: quiet() });
      const N = 1_500;
      for (let s = 1; s <= N; s++) sp.append({ seq: s, sentAt: 0, items: [] });
      sp.ack(1_100);
      expect(sp.stats().batches).toBe(N - 1_100);
      const rest = drain(sp);
      expect(rest).toEqual(Array.from({ length: N - 1_100 }, (_, i) => 1_101 + i));
      expect(sp.isEmpty).toBe(true);
      sp.close();
    } finally {
      fs.rmSync(shm, { recursive: true, force: true });
    }
  });
});

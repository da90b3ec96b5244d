/**
 * Rule: a batch the reporter handed to the spool is on disk when `append` returns — its bytes
 * fsynced, and the directory entry of a new segment fsynced — so it survives a power cut.
 * A power cut cannot be pulled here; instead the real file system calls are recorded
 * (node:fs wrapped, every call still performed) and their order per descriptor is checked.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Op = { op: 'open' | 'write' | 'fsync' | 'close'; fd: number; target?: string };
const ops: Op[] = [];

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const wrapped = {
    ...real,
    openSync: (p: import('node:fs').PathLike, ...rest: unknown[]) => {
      const fd = (real.openSync as (...a: unknown[]) => number)(p, ...rest);
      ops.push({ op: 'open', fd, target: String(p) });
      return fd;
    },
    writeSync: (fd: number, ...rest: unknown[]) => {
      ops.push({ op: 'write', fd });
      return (real.writeSync as (...a: unknown[]) => number)(fd, ...rest);
    },
    fsyncSync: (fd: number) => {
      ops.push({ op: 'fsync', fd });
      real.fsyncSync(fd);
    },
    closeSync: (fd: number) => {
      ops.push({ op: 'close', fd });
      real.closeSync(fd);
    },
  };
  return { ...wrapped, default: wrapped };
});

const fs = await import('node:fs');
const { Spool } = await import('../../edge-agent/spool.ts');
const { captureLog, result } = await import('./fixtures.ts');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-sync-'));
  ops.length = 0;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const batch = (seq: number) => ({ seq, sentAt: 1_700_000_000_000 + seq, items: [result(`CAM${seq}`, seq)] });

describe('spool durability', () => {
  it('every append is written and fsynced on its descriptor before append returns', () => {
    const sp = new Spool({ dir, maxBytes: 1 << 20, log: captureLog().log });
    for (let seq = 1; seq <= 5; seq++) {
      const from = ops.length;
      sp.append(batch(seq));
      const mine = ops.slice(from);
      const w = mine.map((o) => o.op).lastIndexOf('write');
      expect(w, `append ${seq} wrote`).toBeGreaterThanOrEqual(0);
      const fd = mine[w]!.fd;
      expect(
        mine.slice(w + 1).some((o) => o.op === 'fsync' && o.fd === fd),
        `append ${seq}: fsync after the write`,
      ).toBe(true);
    }
    sp.close();
  });

  it('a new segment file: its directory entry is fsynced before the first batch is written into it', () => {
    const sp = new Spool({ dir, maxBytes: 1 << 20, log: captureLog().log });
    sp.append(batch(1));
    const dirOpen = ops.find((o) => o.op === 'open' && path.resolve(o.target!) === path.resolve(dir));
    expect(dirOpen, 'the spool directory opened for fsync').toBeDefined();
    expect(ops.some((o) => o.op === 'fsync' && o.fd === dirOpen!.fd)).toBe(true);
    const segOpen = ops.findIndex((o) => o.op === 'open' && o.target!.endsWith('.jsonl'));
    const dirSync = ops.findIndex((o) => o.op === 'fsync' && o.fd === dirOpen!.fd);
    const firstWrite = ops.findIndex((o) => o.op === 'write');
    expect(segOpen).toBeLessThan(dirSync);
    expect(dirSync).toBeLessThan(firstWrite);
    sp.close();
  });
});

/**
 * Finding of the ENOSPC fault (test/faults/spool-disk-full.test.ts), reduced: on a full disk the
 * spool's append can be cut short instead of failing — tmpfs (like most file systems) fills the
 * segment's last page and then returns a short count, not ENOSPC — and Spool.append ignored
 * fs.writeSync's return value: the batch was taken as spooled (the reporter counted nothing lost),
 * and read back later as a corrupt line, skipped: lost without a log line. Fixed (edge-agent/spool.ts):
 * the line is written until whole, else the segment is cut back to the line's start and append
 * throws (the reporter then logs and counts the batch as lost).
 */
import fsDefault, { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from '../../edge-agent/spool.ts';
import { captureLog, result } from '../agent-runtime/fixtures.ts';
import { fill, mountTmpfs } from './support.ts';

const mnt = mountTmpfs('256k');
afterAll(() => mnt.unmount());
if (mnt.skip) console.log(`[fault] spool_short_write: skipped: ${mnt.skip}`);

describe.skipIf(mnt.skip !== null)('spool on a full disk', () => {
  it('an append cut short by the full disk throws, leaves no torn line, and the spool goes on when space returns', () => {
    const dir = join(mnt.dir, 'spool');
    const spool = new Spool({ dir, log: captureLog('spool').log });
    spool.append({ seq: 1, sentAt: Date.now(), items: [result('c01', Date.now())] });
    const segFile = () => join(dir, readdirSync(dir).find((f) => f.startsWith('seg-'))!);
    const sizeBefore = statSync(segFile()).size;
    fill(mnt.dir);
    // a batch far larger than what is left of the segment's last page
    const big = { seq: 2, sentAt: Date.now(), items: Array.from({ length: 60 }, (_, i) => result(`c${i}`, Date.now())) };
    let threw: unknown = null;
    try {
      spool.append(big);
    } catch (e) {
      threw = e;
    }
    console.log(`[fault] spool_short_write: ${String(threw)}`);
    expect(String(threw)).toMatch(/spool write failed after \d+ of \d+ bytes: ENOSPC/);
    expect(statSync(segFile()).size).toBe(sizeBefore); // cut back to the line's start
    expect(spool.stats()).toMatchObject({ batches: 1, items: 1, corruptLines: 0 });
    rmSync(join(mnt.dir, 'filler')); // space again: only the append met the full disk
    spool.append({ ...big, seq: 3 }); // the next batch goes where the cut one would have
    spool.ack(1);
    const back = spool.peek();
    spool.close();
    const reopened = new Spool({ dir, log: captureLog('spool').log });
    const afterReopen = reopened.peek();
    const reopenedStats = reopened.stats();
    reopened.close();
    expect({ back: back?.seq, backItems: back?.items.length, afterReopen: afterReopen?.seq, afterItems: afterReopen?.items.length }).toEqual({
      back: 3,
      backItems: 60,
      afterReopen: 3,
      afterItems: 60,
    });
    expect(reopenedStats).toMatchObject({ batches: 1, corruptLines: 0 });
  });
});

// A short count is allowed whenever (POSIX write(2)), not only on a full disk: the rest must be
// written on from where it stopped. fs.writeSync here really writes the first part only, once.
describe('spool, a write returning a short count with space left', () => {
  it('writes the rest: the line comes back whole, also after a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-short-'));
    const real = fsDefault.writeSync;
    let cut = 0;
    const partial = ((fd: number, buf: Buffer, off: number, len: number, pos: number) =>
      cut++ === 0 && len > 100 ? real(fd, buf, off, 100, pos) : real(fd, buf, off, len, pos)) as typeof fsDefault.writeSync;
    try {
      const spool = new Spool({ dir, log: captureLog('spool').log });
      fsDefault.writeSync = partial;
      syncBuiltinESMExports();
      const big = { seq: 1, sentAt: Date.now(), items: Array.from({ length: 20 }, (_, i) => result(`c${i}`, Date.now())) };
      spool.append(big);
      fsDefault.writeSync = real;
      syncBuiltinESMExports();
      expect(cut).toBeGreaterThan(1); // the short count was met, and written on
      expect(spool.peek()?.items.length).toBe(20);
      spool.close();
      const reopened = new Spool({ dir, log: captureLog('spool').log });
      expect({ seq: reopened.peek()?.seq, items: reopened.peek()?.items.length, corrupt: reopened.stats().corruptLines }).toEqual({ seq: 1, items: 20, corrupt: 0 });
      reopened.close();
    } finally {
      fsDefault.writeSync = real;
      syncBuiltinESMExports();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Finding of the ENOSPC fault (test/faults/spool-disk-full.test.ts), reduced: on a full disk the
 * spool's append can be cut short instead of failing — tmpfs (like most file systems) fills the
 * segment's last page and then returns a short count, not ENOSPC — and Spool.append ignores
 * fs.writeSync's return value: the batch is taken as spooled (the reporter counts nothing lost),
 * and read back later as a corrupt line, skipped: lost without a log line. Fix (edge-agent/spool.ts,
 * not this item's file): write until the whole line is written, else truncate back to the line's
 * start and throw (the reporter then logs and counts the batch). `it.fails` while the bug stands.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from '../../edge-agent/spool.ts';
import { captureLog, result } from '../agent-runtime/fixtures.ts';
import { fill, mountTmpfs } from './support.ts';

const mnt = mountTmpfs('256k');
afterAll(() => mnt.unmount());
if (mnt.skip) console.log(`[fault] spool_short_write: skipped: ${mnt.skip}`);

describe.skipIf(mnt.skip !== null)('spool on a full disk', () => {
  it.fails('an append cut short by the full disk fails (to be counted as lost) or is read back whole, never taken and then skipped', () => {
    const dir = join(mnt.dir, 'spool');
    const spool = new Spool({ dir, log: captureLog('spool').log });
    spool.append({ seq: 1, sentAt: Date.now(), items: [result('c01', Date.now())] });
    fill(mnt.dir);
    // a batch far larger than what is left of the segment's last page
    const big = { seq: 2, sentAt: Date.now(), items: Array.from({ length: 60 }, (_, i) => result(`c${i}`, Date.now())) };
    let threw = false;
    try {
      spool.append(big);
    } catch {
      threw = true;
    }
    rmSync(join(mnt.dir, 'filler')); // space again: only the append met the full disk
    spool.ack(1);
    const back = spool.peek();
    spool.close();
    const reopened = new Spool({ dir, log: captureLog('spool').log });
    const afterReopen = reopened.peek();
    reopened.close();
    // either the append said it failed, or the batch comes back whole (now and after a restart)
    expect({ threw, back: back?.seq ?? null, afterReopen: afterReopen?.seq ?? null }).toMatchObject(threw ? { threw: true } : { back: 2, afterReopen: 2 });
    expect(threw || (back?.items.length === 60 && afterReopen?.items.length === 60)).toBe(true);
  });
});

/**
 * Random bytes for nonces (WS-Security Nonce, Digest cnonce), drawn from a pooled buffer:
 * one randomFillSync per 4 KiB instead of one per nonce (a per-call `randomBytes` was ~3 %
 * of the agent's CPU per ladder, npm run bench). Every byte is handed out once, as a copy;
 * the pool comes from the same CSPRNG as `randomBytes`.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let used = POOL_SIZE;

/** `n` fresh random bytes (n ≤ 4096), a copy nobody else holds. */
export function pooledRandomBytes(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > POOL_SIZE) throw new RangeError(`pooledRandomBytes: 0 ≤ n ≤ ${POOL_SIZE}`);
  if (used + n > POOL_SIZE) {
    randomFillSync(pool);
    used = 0;
  }
  const out = Buffer.from(pool.subarray(used, used + n));
  pool.fill(0, used, used + n); // handed out: not kept
  used += n;
  return out;
}

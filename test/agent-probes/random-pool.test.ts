/**
 * The pooled nonce source: every byte handed out once (no two nonces share bytes across a
 * refill), the right lengths, and random enough that 20,000 16-byte nonces never repeat.
 */
import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from '../../src/protocol/random-pool.ts';
import { makeUsernameToken } from '../../src/protocol/ws-security.ts';

describe('pooledRandomBytes', () => {
  it('hands out fresh bytes of the asked length, never the same nonce twice, across refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const b = pooledRandomBytes(16);
      expect(b.length).toBe(16);
      seen.add(b.toString('hex'));
    }
    expect(seen.size).toBe(20_000);
    // byte values spread over the whole range (a zeroed or constant pool would not)
    const counts = new Array(256).fill(0) as number[];
    for (let i = 0; i < 1000; i++) for (const v of pooledRandomBytes(64)) counts[v]!++;
    expect(Math.min(...counts)).toBeGreaterThan(150); // expected 250 each
    expect(Math.max(...counts)).toBeLessThan(360);
  });

  it('returns copies: a nonce held across refills of the pool keeps its bytes; sizes up to the pool', () => {
    const held = pooledRandomBytes(16);
    const before = held.toString('hex');
    for (let i = 0; i < 2000; i++) pooledRandomBytes(16); // ~8 refills of the 4 KiB pool
    expect(held.toString('hex')).toBe(before);
    expect(pooledRandomBytes(4096).length).toBe(4096);
    expect(pooledRandomBytes(0).length).toBe(0);
    expect(() => pooledRandomBytes(4097)).toThrow(RangeError);
    expect(() => pooledRandomBytes(-1)).toThrow(RangeError);
    expect(() => pooledRandomBytes(1.5)).toThrow(RangeError);
  });

  it('gives every WS-Security token its own 16-byte nonce', () => {
    const nonces = new Set(Array.from({ length: 500 }, () => makeUsernameToken('u', 'p').nonceB64));
    expect(nonces.size).toBe(500);
    expect(Buffer.from([...nonces][0]!, 'base64').length).toBe(16);
  });
});

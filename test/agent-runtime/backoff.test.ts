import { describe, expect, it } from 'vitest';
import { Backoff } from '../../edge-agent/backoff.ts';

describe('backoff', () => {
  it('grows exponentially up to the cap, jittered within [d/2, d], and resets', () => {
    const lo = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect(Array.from({ length: 7 }, () => lo.next())).toEqual([50, 100, 200, 400, 500, 500, 500]);
    const hi = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect(Array.from({ length: 6 }, () => hi.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    hi.reset();
    expect(hi.next()).toBe(100);
    expect(() => new Backoff({ baseMs: 0, maxMs: 10 })).toThrow();
  });
});

/**
 * Login limits, counted by @fastify/rate-limit with a store of our own (fixed windows, growing
 * lock-outs, a clock the tests can move):
 * - per client address: every attempt counts; the `addressAttempts`-th within `addressWindowMs`
 *   locks the address for `addressWindowMs`, each further lock twice as long (up to `maxLockMs`);
 * - per username: only failures count; the `userFailures`-th within `userWindowMs` locks the
 *   username for `userLockMs`, each further lock twice as long (up to `maxLockMs`); a success
 *   clears the count. While locked even the right password gets 429 (else guessing goes on).
 * Either lock answers 429 with Retry-After (seconds). Locks are forgotten after a lock-free
 * `…WindowMs` following the last one.
 */
import type { FastifyRateLimitStore } from '@fastify/rate-limit';

export interface LoginLimits {
  /** failed logins of one username … */
  userFailures: number;
  /** … within this window lock the username */
  userWindowMs: number;
  /** the first lock of a username; each further one doubles */
  userLockMs: number;
  /** login attempts from one address … */
  addressAttempts: number;
  /** … within this window lock the address (for this long, then doubling) */
  addressWindowMs: number;
  /** the longest lock */
  maxLockMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  userFailures: 5,
  userWindowMs: 15 * 60_000,
  userLockMs: 60_000,
  addressAttempts: 20,
  addressWindowMs: 60_000,
  maxLockMs: 15 * 60_000,
};

export const USER_KEY = 'user:';
/** entries kept (oldest dropped beyond): bounds the memory an address-spraying client can fill */
const MAX_ENTRIES = 50_000;

interface Entry {
  count: number;
  windowStart: number;
  lockedUntil: number;
  locks: number;
}

type Result = { current: number; ttl: number };

/** The counters behind both limits; `reset` clears a username after a successful login. */
export class LoginCounters {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly limits: LoginLimits,
    private readonly now: () => number,
  ) {}

  /** one attempt (address) or one failure (username) */
  incr(key: string, timeWindow: number, max: number): Result {
    const now = this.now();
    const e = this.fresh(key, timeWindow, now);
    e.count++;
    this.entries.delete(key);
    this.entries.set(key, e); // newest last: the oldest are dropped first
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    if (now < e.lockedUntil) return { current: max + 1, ttl: e.lockedUntil - now };
    if (e.count >= max) {
      e.locks++;
      const first = key.startsWith(USER_KEY) ? this.limits.userLockMs : this.limits.addressWindowMs;
      e.lockedUntil = now + Math.min(first * 2 ** (e.locks - 1), this.limits.maxLockMs);
      // the attempt that reaches the limit still gets its answer; the next is refused
      return { current: max, ttl: e.lockedUntil - now };
    }
    return { current: e.count, ttl: e.windowStart + timeWindow - now };
  }

  /** the state without counting: exceeded (current > max) only while locked */
  read(key: string, timeWindow: number, max: number): Result {
    const now = this.now();
    const e = this.entries.get(key);
    if (!e) return { current: 0, ttl: 0 };
    if (now < e.lockedUntil) return { current: max + 1, ttl: e.lockedUntil - now };
    if (now - e.windowStart >= timeWindow) return { current: 0, ttl: 0 };
    return { current: Math.min(e.count, max), ttl: e.windowStart + timeWindow - now };
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** the entry for a new attempt: a window past (and no lock) starts counting again */
  private fresh(key: string, timeWindow: number, now: number): Entry {
    const e = this.entries.get(key);
    if (!e) return { count: 0, windowStart: now, lockedUntil: 0, locks: 0 };
    if (now < e.lockedUntil || now - e.windowStart < timeWindow) return e;
    // locks are remembered for a window after the last one ended: a patient guesser keeps doubling
    const keepLocks = e.locks > 0 && now - e.lockedUntil < timeWindow;
    return { count: 0, windowStart: now, lockedUntil: 0, locks: keepLocks ? e.locks : 0 };
  }

  /** a @fastify/rate-limit store class over these counters (every instance and child shares them) */
  storeClass(): new () => FastifyRateLimitStore {
    const counters = this;
    type Cb = (e: Error | null, r?: Result) => void;
    class Store {
      incr(key: string, cb: Cb, timeWindow: number, max: number): void {
        cb(null, counters.incr(key, timeWindow, max));
      }
      read(key: string, cb: Cb, timeWindow: number, max: number): void {
        cb(null, counters.read(key, timeWindow, max));
      }
      child(): Store {
        return new Store();
      }
    }
    return Store;
  }
}

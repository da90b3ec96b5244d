/**
 * Lockout safety, owned once per agent: cameras lock out an address after repeated bad
 * logins (Hikvision ≈ 30 min), and everything the agent does with a camera's credentials
 * comes from one address. So one guard per camera, shared by the ladder (the scheduler's
 * auth back-off) and the snapshot source: after a refused login by either, neither sends
 * the credentials again until the window (`authBackoffMs`, --auth-backoff) has passed.
 * Time is an argument; no timers, no I/O.
 */

export class LoginGuard {
  /** camera code → no login attempt before this time (epoch ms) */
  private readonly blockedUntil = new Map<string, number>();

  constructor(readonly windowMs: number) {
    if (!(windowMs >= 0)) throw new Error('login guard: windowMs must be ≥ 0');
  }

  /** May the agent send this camera's credentials now? */
  mayLogin(code: string, now: number): boolean {
    const until = this.blockedUntil.get(code);
    if (until === undefined) return true;
    if (now < until) return false;
    this.blockedUntil.delete(code);
    return true;
  }

  /** The camera refused the credentials: no login for one window from `now`. */
  failed(code: string, now: number): void {
    this.blockedUntil.set(code, now + this.windowMs);
  }

  /** The camera accepted the credentials: logins allowed again. */
  succeeded(code: string): void {
    this.blockedUntil.delete(code);
  }

  /** New credentials for this camera (from the assignment) deserve a login attempt now. */
  credentialsChanged(code: string): void {
    this.blockedUntil.delete(code);
  }
}

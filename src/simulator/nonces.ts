/**
 * Stateless digest nonces for thousands of cameras: nonce = hex(issue time) + HMAC tag.
 * A camera accepts only nonces it could have issued, for `ttlMs` after issue.
 */
import { createHmac, randomBytes } from 'node:crypto';

export class NonceIssuer {
  private readonly secret = randomBytes(16);

  constructor(private readonly ttlMs = 10 * 60_000) {}

  issue(scope: string, now = Date.now()): string {
    const t = now.toString(16);
    return t + this.tag(scope, t);
  }

  valid(scope: string, nonce: string, now = Date.now()): boolean {
    if (nonce.length < 26 || nonce.length > 40) return false;
    const t = nonce.slice(0, nonce.length - 16);
    if (!/^[0-9a-f]+$/.test(t) || this.tag(scope, t) !== nonce.slice(-16)) return false;
    const issued = parseInt(t, 16);
    return now - issued <= this.ttlMs && issued - now <= 1000;
  }

  private tag(scope: string, t: string): string {
    return createHmac('sha256', this.secret).update(scope).update(':').update(t).digest('hex').slice(0, 16);
  }
}

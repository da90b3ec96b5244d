/**
 * HTTP/RTSP Digest (RFC 2617 / 7616, MD5) and Basic authentication, both sides:
 * the agent answers challenges, the simulator issues and verifies them.
 * Cameras send several challenges at once (Hikvision: Digest and Basic); prefer Digest.
 * The digest `uri` is the request URI without `user:pass@`.
 */
import { createHash } from 'node:crypto';
import { pooledRandomBytes } from './random-pool.ts';

export interface Challenge {
  scheme: 'digest' | 'basic';
  realm: string;
  nonce?: string;
  opaque?: string;
  qop?: string[];
  algorithm?: string;
  stale?: boolean;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Parse one or more WWW-Authenticate header values into challenges (Digest first). */
export function parseChallenges(headers: string | string[] | undefined): Challenge[] {
  if (headers === undefined) return [];
  const values = Array.isArray(headers) ? headers : [headers];
  const out: Challenge[] = [];
  for (const value of values) {
    // split "Digest a=1, b=2, Basic realm=x" into schemes
    const re = /(Digest|Basic)\s+((?:[a-zA-Z]+\s*=\s*(?:"[^"]*"|[^,\s]*)\s*,?\s*)*)/gi;
    let m: RegExpExecArray | null;
    while ((m = re.exec(value)) !== null) {
      const params = parseParams(m[2] ?? '');
      const scheme = (m[1] ?? '').toLowerCase() as 'digest' | 'basic';
      const c: Challenge = { scheme, realm: params.realm ?? '' };
      if (params.nonce !== undefined) c.nonce = params.nonce;
      if (params.opaque !== undefined) c.opaque = params.opaque;
      if (params.algorithm !== undefined) c.algorithm = params.algorithm;
      if (params.qop !== undefined)
        c.qop = params.qop
          .split(',')
          .map((q) => q.trim())
          .filter(Boolean);
      if (params.stale !== undefined) c.stale = params.stale.toLowerCase() === 'true';
      out.push(c);
    }
  }
  return out.sort((a, b) => (a.scheme === b.scheme ? 0 : a.scheme === 'digest' ? -1 : 1));
}

function parseParams(s: string): Record<string, string> {
  const params: Record<string, string> = {};
  const re = /([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) params[(m[1] ?? '').toLowerCase()] = m[2] ?? m[3] ?? '';
  return params;
}

/** Build the Authorization header value answering `challenge`. nc counts uses of the nonce. */
export function authorizationHeader(challenge: Challenge, cred: { username: string; password: string }, method: string, uri: string, nc = 1): string {
  if (challenge.scheme === 'basic') {
    return 'Basic ' + Buffer.from(`${cred.username}:${cred.password}`).toString('base64');
  }
  const nonce = challenge.nonce ?? '';
  const ha1 = md5(`${cred.username}:${challenge.realm}:${cred.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const parts = [`username="${cred.username}"`, `realm="${challenge.realm}"`, `nonce="${nonce}"`, `uri="${uri}"`];
  if (challenge.qop?.includes('auth')) {
    const ncHex = nc.toString(16).padStart(8, '0');
    const cnonce = pooledRandomBytes(8).toString('hex');
    parts.push(`response="${md5(`${ha1}:${nonce}:${ncHex}:${cnonce}:auth:${ha2}`)}"`, 'qop=auth', `nc=${ncHex}`, `cnonce="${cnonce}"`);
  } else {
    parts.push(`response="${md5(`${ha1}:${nonce}:${ha2}`)}"`);
  }
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  if (challenge.algorithm !== undefined) parts.push(`algorithm=${challenge.algorithm}`);
  return 'Digest ' + parts.join(', ');
}

/** Server side: a fresh Digest challenge header value. */
export function digestChallenge(realm: string, nonce: string, opts: { qop?: boolean } = {}): string {
  return `Digest realm="${realm}", nonce="${nonce}"${opts.qop === false ? '' : ', qop="auth"'}, algorithm=MD5`;
}

/**
 * Server side: verify an Authorization header against the expected credentials.
 * Returns the username when valid, null otherwise. `nonceOk` lets the caller reject unknown nonces.
 */
export function verifyAuthorization(
  header: string | undefined,
  expected: { username: string; password: string; realm: string },
  method: string,
  nonceOk: (nonce: string) => boolean = () => true,
): boolean {
  if (!header) return false;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const rest = header.slice(space + 1);
  if (scheme === 'basic') {
    return Buffer.from(rest, 'base64').toString() === `${expected.username}:${expected.password}`;
  }
  if (scheme !== 'digest') return false;
  const p = parseParams(rest);
  if (p.username !== expected.username || p.realm !== expected.realm || !p.nonce || !p.uri) return false;
  if (!nonceOk(p.nonce)) return false;
  const ha1 = md5(`${expected.username}:${expected.realm}:${expected.password}`);
  const ha2 = md5(`${method}:${p.uri}`);
  const want = p.qop ? md5(`${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
  return want === p.response;
}

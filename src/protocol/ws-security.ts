/**
 * ONVIF WS-Security UsernameToken with PasswordDigest, both sides.
 * Digest = Base64(SHA-1(nonce bytes + Created + password)).
 * The agent applies the camera's clock offset to Created, because cameras reject a
 * Created outside their window (typically ±5 min of *their* clock).
 */
import { createHash } from 'node:crypto';
import { pooledRandomBytes } from './random-pool.ts';

export interface UsernameToken {
  username: string;
  nonceB64: string;
  created: string;
  digest: string;
}

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(password)]))
    .digest('base64');
}

/** Build a token whose Created is the agent clock shifted by the camera's offset. */
export function makeUsernameToken(username: string, password: string, clockOffsetMs = 0, now = Date.now()): UsernameToken {
  const nonce = pooledRandomBytes(16);
  const created = new Date(now + clockOffsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { username, nonceB64: nonce.toString('base64'), created, digest: passwordDigest(nonce, created, password) };
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The <wsse:Security> SOAP header element. */
export function securityHeaderXml(t: UsernameToken): string {
  return (
    '<Security s:mustUnderstand="1" xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">' +
    '<UsernameToken>' +
    `<Username>${xmlEscape(t.username)}</Username>` +
    '<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">' +
    `${t.digest}</Password>` +
    '<Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">' +
    `${t.nonceB64}</Nonce>` +
    `<Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${t.created}</Created>` +
    '</UsernameToken></Security>'
  );
}

/** Pull a UsernameToken out of a SOAP envelope (any namespace prefixes). */
export function extractUsernameToken(xml: string): UsernameToken | null {
  const pick = (tag: string): string | undefined => {
    const m = new RegExp(`<(?:[\\w-]+:)?${tag}\\b[^>]*>([^<]*)</(?:[\\w-]+:)?${tag}>`).exec(xml);
    return m?.[1]?.trim();
  };
  const username = pick('Username');
  const digest = pick('Password');
  const nonceB64 = pick('Nonce');
  const created = pick('Created');
  if (username === undefined || digest === undefined || nonceB64 === undefined || created === undefined) return null;
  return { username, digest, nonceB64, created };
}

export type TokenVerdict = 'ok' | 'missing' | 'bad_password' | 'created_out_of_window';

/** Camera side: check digest and that Created is within `windowMs` of the camera's own clock. */
export function verifyUsernameToken(xml: string, expected: { username: string; password: string }, cameraNow: number, windowMs = 5 * 60_000): TokenVerdict {
  const t = extractUsernameToken(xml);
  if (!t) return 'missing';
  if (t.username !== expected.username) return 'bad_password';
  if (passwordDigest(Buffer.from(t.nonceB64, 'base64'), t.created, expected.password) !== t.digest) return 'bad_password';
  const created = Date.parse(t.created);
  if (!Number.isFinite(created) || Math.abs(created - cameraNow) > windowMs) return 'created_out_of_window';
  return 'ok';
}

/** Whether a host name or address stays on this machine — one rule for the hub (demo on loopback only) and the agent (plain http:// and --token only to a loopback hub). */
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z), `localhost` and `*.localhost`: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

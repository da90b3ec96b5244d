/**
 * Is this RTSP answer a camera at its session limit? The NVR or a viewer holds the camera's
 * few RTSP sessions; the camera says so and is alive. Such an answer is evidence of life:
 * the rung is ok, the result noted busy, and no ticket opens.
 *
 * - `453 Not Enough Bandwidth` (RFC 2326: what Hikvision and others send when full);
 * - `503 Service Unavailable` with a `Retry-After` header, at any step;
 * - `503` to SETUP or PLAY without it: DESCRIBE just described the stream, and the server
 *   refuses a session (GStreamer's session pool at `max_sessions` answers exactly that);
 * - any 4xx/5xx whose reason phrase or the start of whose body names a client or session
 *   limit (vendor variants: `453 Maximum Clients Reached`, `500 Max sessions`, …).
 *
 * Linear and bounded: lower-cased substrings over the reason and the first BODY_LOOK bytes.
 */
import type { RtspResponse } from './probes/rtsp-wire.ts';

/** How much of the body is read for a vendor's wording. */
const BODY_LOOK = 512;
/** The longest reason phrase copied into the rung's detail. */
const REASON_SHOWN = 60;

/** Vendor wordings of a full camera, lower case. */
export const SESSION_LIMIT_WORDS: readonly string[] = [
  'not enough bandwidth',
  'maximum clients',
  'max clients',
  'maximum sessions',
  'max sessions',
  'maximum connections',
  'max connections',
  'maximum users',
  'max users',
  'maximum number of',
  'too many clients',
  'too many sessions',
  'too many connections',
  'too many users',
  'session limit',
  'client limit',
  'connection limit',
  'limit reached',
];

export type RtspStep = 'DESCRIBE' | 'SETUP' | 'PLAY';

function namesALimit(text: string): boolean {
  const t = text.toLowerCase();
  return SESSION_LIMIT_WORDS.some((w) => t.includes(w));
}

/** Printable ASCII of a camera-sent reason phrase, capped. */
export function shownReason(reason: string): string {
  let s = '';
  for (let i = 0; i < reason.length && s.length < REASON_SHOWN; i++) {
    const c = reason.charCodeAt(i);
    s += c >= 0x20 && c < 0x7f ? reason[i] : '?';
  }
  return s.trim();
}

/** The busy detail for a session-limit answer, or null when the answer is something else. */
export function sessionLimitDetail(res: RtspResponse, step: RtspStep): string | null {
  const { status } = res;
  if (status < 400 || status > 599) return null;
  const busy =
    status === 453 || (status === 503 && (res.headers.has('retry-after') || step !== 'DESCRIBE')) || namesALimit(res.reason) || namesALimit(res.body.slice(0, BODY_LOOK));
  if (!busy) return null;
  const reason = shownReason(res.reason);
  return `busy: ${step} RTSP ${status}${reason ? ` ${reason}` : ''}`;
}

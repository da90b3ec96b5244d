/**
 * The one place camera-controlled text is made safe before a result leaves the agent
 * (`Reporter.add()` calls it): every rung's `detail` — a SOAP fault string, an RTSP reason
 * phrase, ffmpeg's stderr — has its control characters replaced by spaces, runs of spaces
 * folded, and is capped at DETAIL_CAP (below the hub's MAX_DETAIL_LENGTH, never splitting a
 * surrogate pair); a rung's `ms` is kept inside the wire's range. A result the hub would
 * refuse for its text alone is so never sent.
 */
import { MAX_DETAIL_LENGTH, type ProbeResult, type RungResult } from '../src/protocol/probe-result.ts';

/** Longest `detail` the agent sends: well below the hub's cap, so a hub with a lower one still takes it. */
export const DETAIL_CAP = 160;
const MAX_MS = 3_600_000;
/** C0 controls, DEL, C1 controls, and the line/paragraph separators and bidi overrides that reorder a log line */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** `text` as one short printable line of at most `cap` UTF-16 units. */
export function cleanText(text: string, cap = DETAIL_CAP): string {
  // cut first (a camera's body may be 256 KB), then clean what is left
  let s = text.length > cap * 4 ? text.slice(0, cap * 4) : text;
  if (UNSAFE.test(s)) s = s.replace(UNSAFE_ALL, ' ');
  if (s.includes('  ') || s.startsWith(' ') || s.endsWith(' ')) s = s.replace(/ {2,}/g, ' ').trim();
  if (s.length <= cap) return s;
  let end = cap - 1; // room for the ellipsis
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate without its pair
  return `${s.slice(0, end)}…`;
}

function cleanRung(r: RungResult): RungResult {
  const msOk = Number.isFinite(r.ms) && r.ms >= 0 && r.ms <= MAX_MS;
  const detailOk = r.detail === undefined || (r.detail.length <= DETAIL_CAP && cleanText(r.detail) === r.detail);
  if (msOk && detailOk) return r;
  const out: RungResult = { ...r, ms: msOk ? r.ms : Math.min(MAX_MS, Math.max(0, Number.isFinite(r.ms) ? r.ms : 0)) };
  if (r.detail !== undefined) out.detail = cleanText(r.detail);
  return out;
}

/** `r` with every camera-controlled string made safe; the same object when nothing needed it (the usual case). */
export function sanitizeResult(r: ProbeResult): ProbeResult {
  let rungs: RungResult[] | null = null;
  for (let i = 0; i < r.rungs.length; i++) {
    const rung = r.rungs[i]!;
    const clean = cleanRung(rung);
    if (clean !== rung) {
      rungs ??= r.rungs.slice();
      rungs[i] = clean;
    }
  }
  return rungs === null ? r : { ...r, rungs };
}

// the cap must stay below the hub's, whatever either becomes
if (DETAIL_CAP >= MAX_DETAIL_LENGTH) throw new Error('DETAIL_CAP must be below MAX_DETAIL_LENGTH');

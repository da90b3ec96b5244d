/**
 * The one thing the frame grab needs from a camera's SDP (RFC 4566): its first video
 * stream in a codec we can depacketize — H.264 (RFC 6184), H.265 (RFC 7798), JPEG (RFC 2435,
 * static payload type 26 or a JPEG rtpmap) — with the
 * payload type, the control URL to SETUP (RFC 2326 C.1.1, resolved against the
 * Content-Base) and the parameter sets the SDP carries (`sprop-parameter-sets`,
 * `sprop-vps/sps/pps`). Linear over the body, which the RTSP reader has already capped.
 */

export type VideoCodec = 'h264' | 'h265' | 'jpeg';

export interface SdpVideo {
  codec: VideoCodec;
  payloadType: number;
  /** absolute rtsp:// URL for SETUP */
  control: string;
  /** where PLAY and TEARDOWN go: the session-level control when the SDP has one, else the stream's */
  aggregate: string;
  /** parameter sets from the SDP, in decoding order (VPS, SPS, PPS), NAL units without start codes */
  parameterSets: Buffer[];
}

/** Most parameter sets taken from one SDP, and the longest one (bytes). */
const MAX_SETS = 8;
const MAX_SET_BYTES = 1024;

interface Media {
  kind: string;
  formats: number[];
  rtpmap: Map<number, string>;
  fmtp: Map<number, string>;
  control: string | null;
}

function codecOf(encoding: string | undefined, pt: number): VideoCodec | null {
  // payload type 26 is JPEG by RFC 3551, with or without an rtpmap
  if (encoding === undefined) return pt === 26 ? 'jpeg' : null;
  const name = encoding.split('/', 1)[0]?.trim().toUpperCase();
  if (name === 'H264') return 'h264';
  if (name === 'H265' || name === 'HEVC') return 'h265';
  if (name === 'JPEG') return 'jpeg';
  return null;
}

/** `a=fmtp:96 k=v; k2=v2` parameters, lower-cased keys. */
function fmtpParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

function decodeSets(list: string | undefined, into: Buffer[]): void {
  if (!list) return;
  for (const b64 of list.split(',')) {
    if (into.length >= MAX_SETS) return;
    const nal = Buffer.from(b64.trim(), 'base64');
    if (nal.length > 0 && nal.length <= MAX_SET_BYTES) into.push(nal);
  }
}

/** Resolve an SDP control attribute against the base URL (Content-Base, else the request URL). */
export function resolveControl(base: string, control: string | null): string {
  if (control === null || control === '' || control === '*') return base;
  if (/^rtsp:\/\//i.test(control.slice(0, 7))) return control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}

export function parseSdpVideo(sdp: string, base: string): SdpVideo | null {
  let sessionControl: string | null = null;
  const media: Media[] = [];
  let current: Media | null = null;
  for (const raw of sdp.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const [kind = '', , , ...formats] = line.slice(2).split(' ');
      current = { kind, formats: formats.map(Number).filter(Number.isInteger), rtpmap: new Map(), fmtp: new Map(), control: null };
      media.push(current);
    } else if (line.startsWith('a=control:')) {
      const value = line.slice('a=control:'.length).trim();
      if (current) current.control = value;
      else sessionControl = value;
    } else if (current && (line.startsWith('a=rtpmap:') || line.startsWith('a=fmtp:'))) {
      const rest = line.slice(line.indexOf(':') + 1);
      const sp = rest.indexOf(' ');
      if (sp <= 0) continue;
      const pt = Number(rest.slice(0, sp));
      if (!Number.isInteger(pt)) continue;
      (line.startsWith('a=rtpmap:') ? current.rtpmap : current.fmtp).set(pt, rest.slice(sp + 1).trim());
    }
  }
  const sessionBase = resolveControl(base, sessionControl);
  for (const m of media) {
    if (m.kind !== 'video') continue;
    for (const pt of m.formats) {
      const codec = codecOf(m.rtpmap.get(pt), pt);
      if (!codec) continue;
      const params = fmtpParams(m.fmtp.get(pt) ?? '');
      const parameterSets: Buffer[] = [];
      if (codec === 'h264') decodeSets(params.get('sprop-parameter-sets'), parameterSets);
      else if (codec === 'h265') for (const k of ['sprop-vps', 'sprop-sps', 'sprop-pps']) decodeSets(params.get(k), parameterSets);
      const control = resolveControl(sessionBase, m.control);
      return { codec, payloadType: pt, control, aggregate: sessionControl === null ? control : sessionBase, parameterSets };
    }
  }
  return null;
}

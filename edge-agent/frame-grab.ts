/**
 * One decodable frame of a camera as a JPEG. Used by the ladder's frame rung and by live
 * snapshot grabs.
 *
 * 1. The agent runs RTSP itself (./rtsp-session.ts): DESCRIBE, SETUP (TCP-interleaved, UDP
 *    when refused), PLAY, one key frame depacketized, TEARDOWN — the credentials never leave
 *    this process except in the camera's own Digest exchange.
 * 2. ffmpeg only decodes: the Annex-B access unit (or the JPEG rebuilt from RFC 2435) goes to
 *    its standard input (`-f h264|hevc|mjpeg -i pipe:0`), one MJPEG image comes back on its
 *    standard output. Its
 *    argv holds no URL and no credentials (nothing to see in `ps`), and it never touches the
 *    network, so there is no socket-timeout option to get wrong per ffmpeg version.
 *
 * - ffmpeg: FFMPEG_PATH, else the binary inside the npm package @ffmpeg-installer/ffmpeg.
 * - one deadline for both steps (the decode keeps a reserve), a hard SIGKILL of ffmpeg at
 *   it, an output size cap.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fetchKeyFrame, type KeyFrameFailure, type Transport } from './rtsp-session.ts';
import type { VideoCodec } from './rtsp-sdp.ts';

export interface FrameGrabOptions {
  /** rtsp://host:port/path, without credentials */
  url: string;
  username?: string;
  password?: string;
  /** 'basic': a camera offering only Basic is answered; else Digest only */
  httpAuth?: 'digest' | 'basic';
  /** everything (RTSP session and decode) within this, ms */
  timeoutMs?: number;
  /** refuse a JPEG larger than this */
  maxBytes?: number;
  ffmpegPath?: string;
}

export type FrameGrabFailure = 'timeout' | 'auth' | 'fail' | 'too_large' | 'busy';
export type FrameGrabResult = { ok: true; jpeg: Buffer; ms: number; transport?: Transport } | { ok: false; reason: FrameGrabFailure; detail: string; ms: number };

/** The largest access unit (one key frame) taken from a camera. */
export const MAX_ACCESS_UNIT_BYTES = 4 * 1024 * 1024;
/** The decode's share of the deadline: at most this many ms, at most a quarter. */
const DECODE_RESERVE_MS = 1_500;

let resolvedPath: string | undefined;

/** FFMPEG_PATH wins; else @ffmpeg-installer/ffmpeg's bundled binary. */
export function resolveFfmpegPath(): string {
  const env = process.env.FFMPEG_PATH;
  if (env) return env;
  if (resolvedPath === undefined) {
    const require = createRequire(import.meta.url);
    resolvedPath = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  }
  return resolvedPath;
}

const DEMUXER: Record<VideoCodec, string> = { h264: 'h264', h265: 'hevc', jpeg: 'mjpeg' };

/** ffmpeg's arguments for one key frame on stdin → one JPEG on stdout. No URL, no credentials. */
export function ffmpegDecodeArgs(codec: VideoCodec): string[] {
  return ['-hide_banner', '-loglevel', 'error', '-f', DEMUXER[codec], '-i', 'pipe:0', '-an', '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1'];
}

export interface DecodeOptions {
  codec: VideoCodec;
  /** Annex-B access unit: parameter sets and one key frame */
  accessUnit: Buffer;
  /** hard deadline (SIGKILL), ms */
  timeoutMs: number;
  maxBytes?: number;
  ffmpegPath?: string;
}

export type DecodeResult = { ok: true; jpeg: Buffer } | { ok: false; reason: 'timeout' | 'fail' | 'too_large'; detail: string };

/** ffmpeg's stderr as a short one-line detail. */
function tidy(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** Decode one access unit with ffmpeg: stdin in, one JPEG out; killed at the deadline. */
export function decodeKeyFrame(o: DecodeOptions): Promise<DecodeResult> {
  const maxBytes = o.maxBytes ?? 2 * 1024 * 1024;
  const path = o.ffmpegPath ?? resolveFfmpegPath();
  return new Promise((resolve) => {
    const child = spawn(path, ffmpegDecodeArgs(o.codec), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let verdict: { reason: 'timeout' | 'fail' | 'too_large'; detail: string } | null = null;
    const kill = (reason: 'timeout' | 'too_large', detail: string): void => {
      verdict ??= { reason, detail };
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout', `no frame decoded within ${o.timeoutMs} ms`), o.timeoutMs);
    child.stdin.on('error', () => {}); // EPIPE when ffmpeg exits before reading it all: its exit tells why
    child.stdin.end(o.accessUnit);
    child.stdout.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > maxBytes) kill('too_large', `JPEG over ${maxBytes} bytes`);
      else out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < 4096) err += c.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      verdict ??= { reason: 'fail', detail: `ffmpeg: ${e.code ?? 'spawn error'}` };
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(out, Math.min(outBytes, maxBytes));
      if (!verdict && code === 0 && jpeg.length > 4 && jpeg[0] === 0xff && jpeg[1] === 0xd8) return resolve({ ok: true, jpeg });
      resolve({ ok: false, ...(verdict ?? { reason: 'fail', detail: tidy(err) || `ffmpeg exit ${code}` }) });
    });
  });
}

export async function grabFrame(opts: FrameGrabOptions): Promise<FrameGrabResult> {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  const timeoutMs = opts.timeoutMs ?? 8_000;
  const reserve = Math.min(DECODE_RESERVE_MS, Math.round(timeoutMs / 4));
  const key = await fetchKeyFrame({
    url: opts.url,
    username: opts.username,
    password: opts.password,
    httpAuth: opts.httpAuth,
    timeoutMs: timeoutMs - reserve,
    maxAccessUnitBytes: MAX_ACCESS_UNIT_BYTES,
  });
  if (!key.ok) return { ok: false, reason: key.reason satisfies KeyFrameFailure, detail: key.detail, ms: ms() };
  const decoded = await decodeKeyFrame({
    codec: key.codec,
    accessUnit: key.accessUnit,
    timeoutMs: Math.max(1, timeoutMs - ms()),
    maxBytes: opts.maxBytes,
    ffmpegPath: opts.ffmpegPath,
  });
  if (!decoded.ok) return { ...decoded, ms: ms() };
  return { ok: true, jpeg: decoded.jpeg, ms: ms(), transport: key.transport };
}

/**
 * One decodable frame from an RTSP stream as a JPEG, through ffmpeg (child_process.spawn,
 * explicit arguments). Used by the ladder's frame rung and by live snapshot grabs.
 *
 * - ffmpeg: FFMPEG_PATH, else the binary inside the npm package @ffmpeg-installer/ffmpeg.
 * - socket timeout as an INPUT option: ffmpeg ≥ 5 `-timeout <µs>`, 4.x `-stimeout <µs>`
 *   (in 4.x `-timeout` means *listen*); the version is detected once per binary.
 * - a hard SIGKILL deadline, an output size cap, credentials never in errors.
 */
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { redactUrlCredentials } from '../src/log.ts';

export interface FrameGrabOptions {
  /** rtsp://host:port/path, without credentials */
  url: string;
  username?: string;
  password?: string;
  /** hard deadline (SIGKILL), ms */
  timeoutMs?: number;
  /** refuse a JPEG larger than this */
  maxBytes?: number;
  ffmpegPath?: string;
}

export type FrameGrabFailure = 'timeout' | 'auth' | 'fail' | 'too_large';
export type FrameGrabResult = { ok: true; jpeg: Buffer; ms: number } | { ok: false; reason: FrameGrabFailure; detail: string; ms: number };

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

/** Major ffmpeg release from `ffmpeg -version` text; git snapshots ("N-47683-…") map from libavformat. */
export function parseFfmpegMajor(versionText: string): number | null {
  const rel = /ffmpeg version n?(\d+)\.\d+/i.exec(versionText);
  if (rel?.[1] !== undefined) return Number(rel[1]);
  const lavf = /libavformat\s+(\d+)\./.exec(versionText);
  if (lavf?.[1] === undefined) return null;
  // libavformat 58 = ffmpeg 4.x, 59 = 5.x, 60 = 6.x, 61 = 7.x, 62 = 8.x
  const major = Number(lavf[1]);
  return major >= 57 ? major - 54 : null;
}

const versions = new Map<string, Promise<number>>();

/** Detect (once per binary) the ffmpeg major version; unknown counts as modern (≥ 5). */
export function ffmpegMajorVersion(path = resolveFfmpegPath()): Promise<number> {
  let v = versions.get(path);
  if (!v) {
    v = new Promise((resolve) => {
      execFile(path, ['-hide_banner', '-version'], { timeout: 5_000 }, (err, stdout) => {
        resolve(err ? 5 : (parseFfmpegMajor(String(stdout)) ?? 5));
      });
    });
    versions.set(path, v);
  }
  return v;
}

/** The input socket-timeout option for this ffmpeg major version. */
export function socketTimeoutArgs(major: number, timeoutUs: number): string[] {
  return [major >= 5 ? '-timeout' : '-stimeout', String(Math.max(1, Math.round(timeoutUs)))];
}

/** rtsp://user:pass@host… built only in memory, for ffmpeg's argv. */
export function urlWithCredentials(url: string, username?: string, password?: string): string {
  if (!username) return url;
  const cred = `${encodeURIComponent(username)}:${encodeURIComponent(password ?? '')}@`;
  return url.replace(/^(rtsp:\/\/)(?:[^/@]*@)?/i, `$1${cred}`);
}

/** ffmpeg's quiet start and RTSP-over-TCP input with a socket timeout (the frame grab's and the bench baseline's). */
export function ffmpegRtspInputArgs(major: number, socketTimeoutUs: number): string[] {
  return ['-hide_banner', '-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', ...socketTimeoutArgs(major, socketTimeoutUs)];
}

export function ffmpegGrabArgs(major: number, inputUrl: string, socketTimeoutUs: number): string[] {
  return [
    ...ffmpegRtspInputArgs(major, socketTimeoutUs),
    '-analyzeduration',
    '500000',
    '-probesize',
    '100000',
    '-i',
    inputUrl,
    '-an',
    '-frames:v',
    '1',
    '-f',
    'image2',
    '-vcodec',
    'mjpeg',
    'pipe:1',
  ];
}

/** Scrub anything that could carry the credentials out of ffmpeg's stderr. */
function scrub(text: string, opts: FrameGrabOptions): string {
  let s = redactUrlCredentials(text);
  for (const secret of [opts.password, opts.password && encodeURIComponent(opts.password)]) {
    if (secret && secret.length >= 3) s = s.split(secret).join('***');
  }
  return s.replace(/\s+/g, ' ').trim().slice(0, 200);
}

export async function grabFrame(opts: FrameGrabOptions): Promise<FrameGrabResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 8_000;
  const maxBytes = opts.maxBytes ?? 2 * 1024 * 1024;
  const path = opts.ffmpegPath ?? resolveFfmpegPath();
  const major = await ffmpegMajorVersion(path);
  // socket I/O timeout a little inside the hard deadline, so ffmpeg usually exits by itself
  const socketTimeoutMs = timeoutMs * 0.8;
  const args = ffmpegGrabArgs(major, urlWithCredentials(opts.url, opts.username, opts.password), socketTimeoutMs * 1000);

  return new Promise((resolve) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let verdict: { reason: FrameGrabFailure; detail: string } | null = null;
    const kill = (reason: FrameGrabFailure, detail: string): void => {
      verdict ??= { reason, detail };
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout', `no frame within ${timeoutMs} ms`), timeoutMs);
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
      const ms = Date.now() - started;
      const jpeg = Buffer.concat(out, Math.min(outBytes, maxBytes));
      if (!verdict && code === 0 && jpeg.length > 4 && jpeg[0] === 0xff && jpeg[1] === 0xd8) {
        resolve({ ok: true, jpeg, ms });
        return;
      }
      if (!verdict) {
        if (/\b401\b|Unauthorized/i.test(err)) verdict = { reason: 'auth', detail: 'RTSP 401' };
        // ffmpeg 4.x reports its own socket timeout as "Invalid data found…": judge by the clock
        else if (/timed? ?out/i.test(err) || ms >= socketTimeoutMs * 0.95) verdict = { reason: 'timeout', detail: scrub(err, opts) };
        else verdict = { reason: 'fail', detail: scrub(err, opts) || `ffmpeg exit ${code}` };
      }
      resolve({ ok: false, ...verdict, ms });
    });
  });
}

/**
 * The naive baseline's ffmpeg-over-RTSP (bench/agent-baseline.ts), for that comparison only:
 * the agent itself never hands ffmpeg a URL (edge-agent/frame-grab.ts decodes from stdin), so
 * a URL with credentials exists only here, in the bench's memory and its ffmpeg child's argv.
 */
import { execFile } from 'node:child_process';
import { resolveFfmpegPath } from '../edge-agent/frame-grab.ts';

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

/** The input socket-timeout option for this ffmpeg major version (≥ 5 `-timeout`, 4.x `-stimeout`). */
export function socketTimeoutArgs(major: number, timeoutUs: number): string[] {
  return [major >= 5 ? '-timeout' : '-stimeout', String(Math.max(1, Math.round(timeoutUs)))];
}

/** rtsp://user:pass@host… built only in memory, for the baseline's ffmpeg argv. */
export function urlWithCredentials(url: string, username?: string, password?: string): string {
  if (!username) return url;
  const cred = `${encodeURIComponent(username)}:${encodeURIComponent(password ?? '')}@`;
  return url.replace(/^(rtsp:\/\/)(?:[^/@]*@)?/i, `$1${cred}`);
}

/** ffmpeg's quiet start and RTSP-over-TCP input with a socket timeout (the bench baseline's). */
export function ffmpegRtspInputArgs(major: number, socketTimeoutUs: number): string[] {
  return ['-hide_banner', '-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', ...socketTimeoutArgs(major, socketTimeoutUs)];
}

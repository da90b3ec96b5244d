/**
 * The naive baseline the ladder is compared against: per camera one `onvif` package
 * `Cam.connect()` (GetSystemDateAndTime, GetServices/GetCapabilities, GetProfiles,
 * GetVideoSources…), then `getDeviceInformation()` — connect() alone succeeds with a wrong
 * password — then one plain ffmpeg run that opens the stream and decodes a frame to nowhere.
 * onvif@0.8.3 waits 120 s by default: a timeout is always set here.
 * Bench only (bench/agent.ts, bench/agent-probe-measure.ts), never agent code; its ONVIF half
 * is tested in test/agent-probes/baseline.test.ts.
 */
import { spawn } from 'node:child_process';
import { Cam } from 'onvif';
import { resolveFfmpegPath } from '../edge-agent/frame-grab.ts';
import { ffmpegMajorVersion, ffmpegRtspInputArgs, urlWithCredentials } from './ffmpeg-rtsp.ts';
import { rtspRequestUrl } from '../edge-agent/probes/rtsp.ts';
import type { AgentCamera } from '../src/protocol/assignment.ts';

export interface BaselineOptions {
  /** per ONVIF request (onvif's own `timeout`), ms */
  onvifTimeoutMs?: number;
  /** ffmpeg hard deadline, ms */
  ffmpegTimeoutMs?: number;
  /** skip the ffmpeg run (ONVIF part only) */
  noFfmpeg?: boolean;
  ffmpegPath?: string;
}

export interface BaselineResult {
  onvifConnected: boolean;
  authOk: boolean;
  streamOk: boolean;
  /** wall-clock ms for the whole baseline probe */
  ms: number;
  /** short reason of the first failure; never credentials */
  detail?: string;
}

function onvifPart(cam: AgentCamera, timeoutMs: number): Promise<{ connected: boolean; authOk: boolean; detail?: string }> {
  return new Promise((resolve) => {
    const c = new Cam({
      hostname: cam.host,
      port: cam.onvifPort,
      path: cam.onvifPath,
      username: cam.username,
      password: cam.password,
      timeout: timeoutMs,
      preserveAddress: true, // never follow XAddrs to other hosts
      autoconnect: false,
    });
    c.on('warning', () => {}); // wrong password shows up here only
    c.connect((err) => {
      if (err) return resolve({ connected: false, authOk: false, detail: 'onvif connect failed' });
      c.getDeviceInformation((e2) => resolve(e2 ? { connected: true, authOk: false, detail: 'GetDeviceInformation failed' } : { connected: true, authOk: true }));
    });
  });
}

async function ffmpegPart(cam: AgentCamera, timeoutMs: number, path: string): Promise<boolean> {
  const major = await ffmpegMajorVersion(path);
  const url = urlWithCredentials(rtspRequestUrl(cam.rtspUrl), cam.username, cam.password);
  const args = [...ffmpegRtspInputArgs(major, timeoutMs * 800), '-i', url, '-an', '-frames:v', '1', '-f', 'null', '-'];
  return new Promise((resolve) => {
    const child = spawn(path, args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => {});
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

export async function baselineProbe(cam: AgentCamera, opts: BaselineOptions = {}): Promise<BaselineResult> {
  const t0 = Date.now();
  const o = await onvifPart(cam, opts.onvifTimeoutMs ?? 5_000);
  if (!o.authOk || opts.noFfmpeg) {
    const r: BaselineResult = { onvifConnected: o.connected, authOk: o.authOk, streamOk: false, ms: Date.now() - t0 };
    if (o.detail !== undefined) r.detail = o.detail;
    return r;
  }
  const streamOk = await ffmpegPart(cam, opts.ffmpegTimeoutMs ?? 10_000, opts.ffmpegPath ?? resolveFfmpegPath());
  const r: BaselineResult = { onvifConnected: true, authOk: true, streamOk, ms: Date.now() - t0 };
  if (!streamOk) r.detail = 'ffmpeg failed';
  return r;
}

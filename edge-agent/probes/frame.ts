/**
 * Rung 5 (optional): one decodable frame, via ../frame-grab.ts (the agent's own RTSP session,
 * ffmpeg decoding from its standard input). A camera at its session limit is 'ok' and busy:
 * alive, no session free (../rtsp-session-limit.ts).
 */
import { grabFrame } from '../frame-grab.ts';
import type { RungContext, RungProbe, RungReport } from './types.ts';
import { rtspRequestUrl } from './rtsp.ts';

export async function probeFrame(ctx: RungContext): Promise<RungReport> {
  const r = await grabFrame({
    url: rtspRequestUrl(ctx.cam.rtspUrl),
    username: ctx.cam.username,
    password: ctx.cam.password,
    httpAuth: ctx.cam.httpAuth,
    timeoutMs: ctx.timeoutMs,
  });
  if (r.ok) return { outcome: 'ok', detail: r.transport === 'udp' ? `${r.jpeg.length} B JPEG, RTP over UDP` : `${r.jpeg.length} B JPEG` };
  if (r.reason === 'busy') return { outcome: 'ok', busy: true, detail: r.detail };
  const outcome = r.reason === 'auth' ? 'auth' : r.reason === 'timeout' ? 'timeout' : 'fail';
  return { outcome, detail: r.detail };
}

export const frameProbe: RungProbe = { rung: 'frame', usesCredentials: true, run: probeFrame };

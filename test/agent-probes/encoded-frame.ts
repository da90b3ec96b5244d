/** One key frame (Annex B: parameter sets, SEI, IDR/IRAP), encoded by the bundled ffmpeg from its 320×240 test pattern. */
import { spawnSync } from 'node:child_process';
import { resolveFfmpegPath } from '../../edge-agent/frame-grab.ts';

const cache = new Map<string, Buffer>();

export function encodedKeyFrame(codec: 'h264' | 'h265' = 'h264'): Buffer {
  const hit = cache.get(codec);
  if (hit) return hit;
  const r = spawnSync(
    resolveFfmpegPath(),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10',
      '-frames:v',
      '1',
      '-c:v',
      codec === 'h264' ? 'libx264' : 'libx265',
      '-f',
      codec === 'h264' ? 'h264' : 'hevc',
      'pipe:1',
    ],
    { maxBuffer: 4 * 1024 * 1024, timeout: 20_000 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not encode a test frame: ${String(r.stderr)}`);
  cache.set(codec, r.stdout);
  return r.stdout;
}

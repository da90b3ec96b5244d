/**
 * The frame grab's ffmpeg half: ffmpeg only decodes an access unit handed on its standard
 * input (no URL, no credentials in its argv — nothing for `ps` to show), is SIGKILLed at the
 * deadline, its output capped; version detection kept for the bench baseline.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ffmpegMajorVersion, parseFfmpegMajor, socketTimeoutArgs, urlWithCredentials } from '../../bench/ffmpeg-rtsp.ts';
import { decodeKeyFrame, ffmpegDecodeArgs, grabFrame, resolveFfmpegPath } from '../../edge-agent/frame-grab.ts';
import { encodedKeyFrame } from './encoded-frame.ts';
import { startSilentServer } from './fake-camera.ts';

const dir = mkdtempSync(join(tmpdir(), 'fake-ffmpeg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.FFMPEG_PATH;
});

/** A shell script standing in for ffmpeg: prints `version` for -version, else runs `body`. */
function fakeFfmpeg(name: string, version: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\nfor a in "$@"; do [ "$a" = "-version" ] && { echo "${version}"; exit 0; }; done\necho "$@" > ${p}.args\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

describe('ffmpeg version (the bench baseline still hands ffmpeg a URL)', () => {
  it('parses release numbers and git snapshots (libavformat)', () => {
    expect(parseFfmpegMajor('ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright')).toBe(4);
    expect(parseFfmpegMajor('ffmpeg version n6.1.1 Copyright')).toBe(6);
    expect(parseFfmpegMajor('ffmpeg version 7.0 Copyright')).toBe(7);
    expect(parseFfmpegMajor('ffmpeg version N-47683-g0e8eb07980-static\nlibavformat    58. 24.100 / 58. 24.100')).toBe(4);
    expect(parseFfmpegMajor('ffmpeg version N-1-gabc\nlibavformat    60.  3.100')).toBe(6);
    expect(parseFfmpegMajor('nonsense')).toBeNull();
  });

  it('the bundled @ffmpeg-installer binary (4.1 snapshot) is detected as 4 → -stimeout', async () => {
    expect(resolveFfmpegPath()).toMatch(/@ffmpeg-installer/);
    expect(await ffmpegMajorVersion()).toBe(4);
    expect(socketTimeoutArgs(4, 2_000_000)).toEqual(['-stimeout', '2000000']);
    expect(socketTimeoutArgs(5, 2_000_000)).toEqual(['-timeout', '2000000']);
  });

  it('urlWithCredentials (baseline only) URL-encodes into the URL', () => {
    expect(urlWithCredentials('rtsp://10.1.2.3:554/a', 'ad min', 'p@ss:w/rd')).toBe('rtsp://ad%20min:p%40ss%3Aw%2Frd@10.1.2.3:554/a');
    expect(urlWithCredentials('rtsp://old:cred@10.1.2.3/a', 'u', 'p')).toBe('rtsp://u:p@10.1.2.3/a');
    expect(urlWithCredentials('rtsp://10.1.2.3/a')).toBe('rtsp://10.1.2.3/a');
  });
});

describe('ffmpeg decodes from its standard input only', () => {
  it('arguments: the codec named, pipe:0 in, one MJPEG image on pipe:1; no URL, no network option', () => {
    for (const [codec, demuxer] of [
      ['h264', 'h264'],
      ['h265', 'hevc'],
      ['jpeg', 'mjpeg'],
    ] as const) {
      const a = ffmpegDecodeArgs(codec);
      expect(a.slice(a.indexOf('-i'))).toEqual(['-i', 'pipe:0', '-an', '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1']);
      expect(a[a.indexOf('-f') + 1]).toBe(demuxer);
      expect(a.join(' ')).not.toMatch(/rtsp|timeout|transport|:\/\//);
    }
  });

  it('FFMPEG_PATH overrides the bundled binary; the access unit arrives on stdin, argv holds no URL', async () => {
    const p = fakeFfmpeg('ff6', 'ffmpeg version 6.1 Copyright', `cat > ${join(dir, 'ff6.stdin')}; printf '\\377\\330\\377\\340JFIFxx\\377\\331'`);
    process.env.FFMPEG_PATH = p;
    expect(resolveFfmpegPath()).toBe(p);
    const au = Buffer.from([0, 0, 0, 1, 0x65, 1, 2, 3]);
    const r = await decodeKeyFrame({ codec: 'h264', accessUnit: au, timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    expect(readFileSync(join(dir, 'ff6.stdin'))).toEqual(au);
    expect(readFileSync(`${p}.args`, 'utf8').trim()).toBe(ffmpegDecodeArgs('h264').join(' '));
  });

  it('a hung ffmpeg is SIGKILLed at the deadline → timeout', async () => {
    const p = fakeFfmpeg('hang', 'ffmpeg version 6.0', 'exec sleep 30');
    const t0 = Date.now();
    const r = await decodeKeyFrame({ codec: 'h264', accessUnit: Buffer.alloc(10), timeoutMs: 400, ffmpegPath: p });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('output over the size cap → too_large', async () => {
    const p = fakeFfmpeg('big', 'ffmpeg version 6.0', 'head -c 300000 /dev/zero; sleep 5');
    const r = await decodeKeyFrame({ codec: 'h264', accessUnit: Buffer.alloc(10), timeoutMs: 3000, maxBytes: 100_000, ffmpegPath: p });
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
  });

  it('exit 1 without a JPEG is a failure carrying ffmpeg’s message', async () => {
    const p = fakeFfmpeg('junk', 'ffmpeg version 6.0', 'echo "pipe:0: Invalid data found" >&2; echo notjpeg; exit 1');
    const r = await decodeKeyFrame({ codec: 'h264', accessUnit: Buffer.alloc(10), timeoutMs: 2000, ffmpegPath: p });
    expect(r).toMatchObject({ ok: false, reason: 'fail', detail: 'pipe:0: Invalid data found' });
  });

  it('a missing binary → fail, not a crash', async () => {
    const r = await decodeKeyFrame({ codec: 'h264', accessUnit: Buffer.alloc(10), timeoutMs: 1000, ffmpegPath: join(dir, 'does-not-exist') });
    expect(r).toMatchObject({ ok: false, reason: 'fail', detail: 'ffmpeg: ENOENT' });
  });

  it('the real bundled ffmpeg decodes an H.264 and an H.265 key frame from stdin into a 320×240 JPEG', async () => {
    for (const codec of ['h264', 'h265'] as const) {
      const r = await decodeKeyFrame({ codec, accessUnit: encodedKeyFrame(codec), timeoutMs: 10_000 });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (!r.ok) return;
      const img = jpeg.decode(r.jpeg);
      expect([img.width, img.height]).toEqual([320, 240]);
    }
  }, 30_000);

  it('the real ffmpeg given garbage on stdin → fail, promptly', async () => {
    const t0 = Date.now();
    const r = await decodeKeyFrame({ codec: 'h264', accessUnit: Buffer.from('not a video at all'), timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: false, reason: 'fail' });
    expect(Date.now() - t0).toBeLessThan(4000);
  });
});

describe('grabFrame', () => {
  it('a camera that never answers → timeout by the deadline, ffmpeg never started', async () => {
    const p = fakeFfmpeg('never', 'ffmpeg version 6.0', `touch ${join(dir, 'never.ran')}`);
    const silent = await startSilentServer();
    try {
      const t0 = Date.now();
      const r = await grabFrame({ url: `rtsp://127.0.0.1:${silent.port}/s`, username: 'a', password: 'b', timeoutMs: 1500, ffmpegPath: p });
      expect(Date.now() - t0).toBeLessThan(2500);
      expect(r).toMatchObject({ ok: false, reason: 'timeout' });
      expect(() => readFileSync(join(dir, 'never.ran'))).toThrow();
    } finally {
      await silent.close();
    }
  });

  it('a refused port → fail', async () => {
    const r = await grabFrame({ url: 'rtsp://127.0.0.1:9/s', timeoutMs: 1000 });
    expect(r).toMatchObject({ ok: false, reason: 'fail' });
  });
});

/** ffmpeg resolution, version detection, argument order, hard deadline, size cap, redaction. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ffmpegGrabArgs, ffmpegMajorVersion, grabFrame, parseFfmpegMajor, resolveFfmpegPath, socketTimeoutArgs, urlWithCredentials } from '../../edge-agent/frame-grab.ts';
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

describe('ffmpeg version and arguments', () => {
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

  it('input options come before -i; output is one MJPEG image on stdout', () => {
    const a = ffmpegGrabArgs(6, 'rtsp://u:p@h/s', 1000);
    const i = a.indexOf('-i');
    for (const opt of ['-rtsp_transport', '-timeout', '-analyzeduration', '-probesize']) {
      expect(a.indexOf(opt)).toBeGreaterThan(-1);
      expect(a.indexOf(opt)).toBeLessThan(i);
    }
    expect(a.slice(i)).toEqual(['-i', 'rtsp://u:p@h/s', '-an', '-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', 'pipe:1']);
    expect(a[a.indexOf('-rtsp_transport') + 1]).toBe('tcp');
  });

  it('credentials are URL-encoded into the URL only', () => {
    expect(urlWithCredentials('rtsp://10.1.2.3:554/a', 'ad min', 'p@ss:w/rd')).toBe('rtsp://ad%20min:p%40ss%3Aw%2Frd@10.1.2.3:554/a');
    expect(urlWithCredentials('rtsp://old:cred@10.1.2.3/a', 'u', 'p')).toBe('rtsp://u:p@10.1.2.3/a');
    expect(urlWithCredentials('rtsp://10.1.2.3/a')).toBe('rtsp://10.1.2.3/a');
  });
});

describe('grabFrame with stand-in ffmpeg binaries', () => {
  it('FFMPEG_PATH overrides the bundled binary; ffmpeg ≥ 5 gets -timeout', async () => {
    const p = fakeFfmpeg('ff6', 'ffmpeg version 6.1 Copyright', "printf '\\377\\330\\377\\340JFIFxx\\377\\331'");
    process.env.FFMPEG_PATH = p;
    expect(resolveFfmpegPath()).toBe(p);
    const r = await grabFrame({ url: 'rtsp://127.0.0.1:9/s', username: 'u', password: 'pw', timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    const args = readFileSync(`${p}.args`, 'utf8');
    expect(args).toContain('-timeout 1600000');
    expect(args).not.toContain('-stimeout');
  });

  it('a hung ffmpeg is SIGKILLed at the deadline → timeout', async () => {
    const p = fakeFfmpeg('hang', 'ffmpeg version 6.0', 'exec sleep 30');
    const t0 = Date.now();
    const r = await grabFrame({ url: 'rtsp://127.0.0.1:9/s', timeoutMs: 400, ffmpegPath: p });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('output over the size cap → too_large', async () => {
    const p = fakeFfmpeg('big', 'ffmpeg version 6.0', 'head -c 300000 /dev/zero; sleep 5');
    const r = await grabFrame({ url: 'rtsp://127.0.0.1:9/s', timeoutMs: 3000, maxBytes: 100_000, ffmpegPath: p });
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
  });

  it('exit 0 without a JPEG is a failure; stderr is scrubbed of credentials', async () => {
    const p = fakeFfmpeg('junk', 'ffmpeg version 6.0', 'echo "rtsp://admin:Sup3rSecret@10.0.0.9/s: Invalid data found" >&2; echo notjpeg; exit 1');
    const r = await grabFrame({ url: 'rtsp://10.0.0.9/s', username: 'admin', password: 'Sup3rSecret', timeoutMs: 2000, ffmpegPath: p });
    expect(r).toMatchObject({ ok: false, reason: 'fail' });
    expect(JSON.stringify(r)).not.toContain('Sup3rSecret');
    expect(JSON.stringify(r)).toContain('Invalid data found');
  });

  it('a missing binary → fail, not a crash', async () => {
    const r = await grabFrame({ url: 'rtsp://127.0.0.1:9/s', timeoutMs: 1000, ffmpegPath: join(dir, 'does-not-exist') });
    expect(r).toMatchObject({ ok: false, reason: 'fail' });
  });

  it('real bundled ffmpeg against a server that never answers → timeout by the deadline', async () => {
    const silent = await startSilentServer();
    try {
      const t0 = Date.now();
      const r = await grabFrame({ url: `rtsp://127.0.0.1:${silent.port}/s`, username: 'a', password: 'b', timeoutMs: 1500 });
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    } finally {
      await silent.close();
    }
  });
});

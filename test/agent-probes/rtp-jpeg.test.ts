/**
 * RTP/JPEG (RFC 2435) → one JPEG image (edge-agent/rtp-jpeg.ts): a 4:2:0 baseline JPEG made
 * by the bundled ffmpeg, cut into RFC 2435 packets here (in-band tables, Q = 255), rebuilt
 * and decoded to the very same pixels; the Q 1–99 tables match the IJG scaling jpeg-js uses;
 * joins mid-frame and losses spoil one frame only. The real sender (GStreamer's rtpjpegpay):
 * gstreamer.test.ts.
 */
import { spawnSync } from 'node:child_process';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeKeyFrame, resolveFfmpegPath } from '../../edge-agent/frame-grab.ts';
import { parseRtp } from '../../edge-agent/rtp-depacketize.ts';
import { JpegFrameAssembler, scaledTables } from '../../edge-agent/rtp-jpeg.ts';
import { parseSdpVideo } from '../../edge-agent/rtsp-sdp.ts';

/** A 320×240 4:2:0 JPEG with the standard Huffman tables, from ffmpeg's test pattern. */
function ffmpegJpeg(): Buffer {
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
      '-pix_fmt',
      'yuvj420p',
      '-huffman',
      'default',
      '-q:v',
      '5',
      '-f',
      'mjpeg',
      'pipe:1',
    ],
    { timeout: 20_000 },
  );
  if (r.status !== 0) throw new Error(String(r.stderr));
  return r.stdout;
}

/** The parts RFC 2435 sends of a baseline JPEG: its tables (luma, chroma) and its scan. */
function split(j: Buffer): { tables: Buffer; scan: Buffer; width: number; height: number; type: number } {
  const qt = new Map<number, Buffer>();
  let i = 2;
  let width = 0;
  let height = 0;
  let type = 1;
  const compTables: number[] = [];
  for (;;) {
    const m = j[i + 1];
    const len = j.readUInt16BE(i + 2);
    const body = j.subarray(i + 4, i + 2 + len);
    if (m === 0xdb) for (let k = 0; k < body.length; k += 65) qt.set(body[k]! & 0x0f, body.subarray(k + 1, k + 65));
    if (m === 0xc0) {
      height = body.readUInt16BE(1);
      width = body.readUInt16BE(3);
      type = body[7] === 0x22 ? 1 : 0;
      for (let c = 0; c < 3; c++) compTables.push(body[8 + c * 3]!);
    }
    if (m === 0xda) return { tables: Buffer.concat([qt.get(compTables[0]!)!, qt.get(compTables[1]!)!]), scan: j.subarray(i + 2 + len), width, height, type };
    i += 2 + len;
  }
}

function rtpJpeg(j: Buffer, o: { seq?: number; ts?: number; q?: number; mtu?: number } = {}): Buffer[] {
  const { tables, scan, width, height, type } = split(j);
  const q = o.q ?? 255;
  const mtu = o.mtu ?? 600;
  const out: Buffer[] = [];
  let seq = o.seq ?? 100;
  for (let off = 0; off < scan.length; off += mtu) {
    const h = Buffer.from([0x80, 26, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, (off >> 16) & 0xff, (off >> 8) & 0xff, off & 0xff, type, q, width / 8, height / 8]);
    h.writeUInt16BE(seq++ & 0xffff, 2);
    h.writeUInt32BE(o.ts ?? 9000, 4);
    if (off + mtu >= scan.length) h[1] = 0x80 | 26;
    const qtHeader = off === 0 && q >= 128 ? Buffer.concat([Buffer.from([0, 0, 0, tables.length]), tables]) : Buffer.alloc(0);
    out.push(Buffer.concat([h, qtHeader, scan.subarray(off, off + mtu)]));
  }
  return out;
}

const pixels = (j: Buffer) => Buffer.from(jpeg.decode(j, { useTArray: true }).data);

describe('RTP/JPEG depacketizer', () => {
  it('an ffmpeg JPEG cut into RFC 2435 packets (Q 255, tables in-band) is rebuilt to the same pixels; ffmpeg decodes it too', async () => {
    const j = ffmpegJpeg();
    const pkts = rtpJpeg(j).map((p) => parseRtp(p)!);
    expect(pkts.length).toBeGreaterThan(3);
    const a = new JpegFrameAssembler(26);
    let frame = null;
    for (const p of pkts) frame ??= a.push(p);
    expect(frame?.codec).toBe('jpeg');
    const img = jpeg.decode(frame!.accessUnit);
    expect([img.width, img.height]).toEqual([320, 240]);
    expect(pixels(frame!.accessUnit).equals(pixels(j))).toBe(true);
    const d = await decodeKeyFrame({ codec: 'jpeg', accessUnit: frame!.accessUnit, timeoutMs: 10_000 });
    expect(d.ok, JSON.stringify(d)).toBe(true);
  }, 20_000);

  it('joined mid-frame or a packet lost: that frame dropped, the next whole one taken', () => {
    const j = ffmpegJpeg();
    const first = rtpJpeg(j, { seq: 1, ts: 1000 });
    const second = rtpJpeg(j, { seq: 1 + first.length, ts: 2000 });
    const third = rtpJpeg(j, { seq: 1 + 2 * first.length, ts: 3000 });
    const a = new JpegFrameAssembler(26);
    for (const p of first.slice(1)) expect(a.push(parseRtp(p)!)).toBeNull();
    for (const p of [...second.slice(0, 2), ...second.slice(3)]) expect(a.push(parseRtp(p)!)).toBeNull();
    let frame = null;
    for (const p of third) frame ??= a.push(parseRtp(p)!);
    expect(frame).not.toBeNull();
    expect(a.seen.dropped).toBe(2);
  });

  it('a frame over the cap is dropped; other payload types ignored', () => {
    const a = new JpegFrameAssembler(26, 1000);
    for (const p of rtpJpeg(ffmpegJpeg())) expect(a.push(parseRtp(p)!)).toBeNull();
    const b = new JpegFrameAssembler(96);
    for (const p of rtpJpeg(ffmpegJpeg())) expect(b.push(parseRtp(p)!)).toBeNull();
  });

  it('Q 1–99: the standard tables scaled as the IJG library (and jpeg-js) does', () => {
    for (const quality of [10, 50, 75, 90]) {
      const enc = jpeg.encode({ data: Buffer.alloc(16 * 16 * 4, 90), width: 16, height: 16 }, quality).data;
      const dqt: Buffer[] = [];
      let i = 2;
      while (enc[i + 1] !== 0xda) {
        const len = enc.readUInt16BE(i + 2);
        if (enc[i + 1] === 0xdb) for (let k = i + 4; k < i + 2 + len; k += 65) dqt.push(enc.subarray(k + 1, k + 65));
        i += 2 + len;
      }
      expect(scaledTables(quality).toString('hex'), `quality ${quality}`).toBe(Buffer.concat(dqt).toString('hex'));
    }
  });

  it('the SDP names JPEG by static payload type 26, with or without an rtpmap', () => {
    const sdp = (extra: string) => `v=0\r\nm=video 0 RTP/AVP 26\r\n${extra}a=control:stream=0\r\n`;
    expect(parseSdpVideo(sdp(''), 'rtsp://h/s')).toMatchObject({ codec: 'jpeg', payloadType: 26, control: 'rtsp://h/s/stream=0' });
    expect(parseSdpVideo(sdp('a=rtpmap:26 JPEG/90000\r\n'), 'rtsp://h/s')).toMatchObject({ codec: 'jpeg' });
  });
});

/** The bounded, linear reader of a response head (HTTP and RTSP): edge-agent/probes/header-lines.ts. */
import { describe, expect, it } from 'vitest';
import { HeadEnd, HeadTooLargeError, headerFields } from '../../edge-agent/probes/header-lines.ts';

const RTSP = 'RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 12\r\n\r\n';
const SDP = 'v=0\r\ns=x\r\n\r\n'; // a body with a blank line in it

describe('HeadEnd', () => {
  it('finds the end of the head however the bytes are split (every split point, byte by byte)', () => {
    const all = Buffer.from(RTSP + SDP, 'latin1');
    const want = RTSP.length - 4;
    for (let cut = 0; cut <= all.length; cut++) {
      const h = new HeadEnd(16 * 1024);
      const first = h.find(all.subarray(0, cut));
      expect(first === -1 || first === want, `cut ${cut}`).toBe(true);
      expect(h.find(all), `cut ${cut}`).toBe(want);
    }
    const h = new HeadEnd(16 * 1024);
    let found = -1;
    for (let n = 1; n <= all.length && found < 0; n++) found = h.find(all.subarray(0, n));
    expect(found).toBe(want);
  });

  it('a head that came before its body is not searched again: the body cannot move its end (a blank line in the SDP)', () => {
    const h = new HeadEnd(16 * 1024);
    expect(h.find(Buffer.from(RTSP, 'latin1'))).toBe(RTSP.length - 4);
    expect(h.find(Buffer.from(RTSP + SDP, 'latin1'))).toBe(RTSP.length - 4);
    h.reset();
    expect(h.find(Buffer.from(SDP, 'latin1'))).toBe(SDP.indexOf('\r\n\r\n'));
  });

  it('a head over its cap is an error, arriving whole or byte by byte', () => {
    const big = Buffer.from(`RTSP/1.0 200 OK\r\n${'X-A: b\r\n'.repeat(300)}\r\n`, 'latin1');
    expect(() => new HeadEnd(1024).find(big)).toThrow(HeadTooLargeError);
    const h = new HeadEnd(1024);
    expect(() => {
      for (let n = 1; n <= big.length; n++) h.find(big.subarray(0, n));
    }).toThrow(HeadTooLargeError);
    expect(new HeadEnd(big.length).find(big)).toBe(big.length - 4);
  });

  it('linear: a 16 KB head dribbled byte by byte costs about what it costs whole', () => {
    const head = Buffer.from(`RTSP/1.0 200 OK\r\n${'X-Aaaaaa: bbbbbbbbbb\r\n'.repeat(700)}\r\n`, 'latin1');
    const t = performance.now();
    const h = new HeadEnd(16 * 1024);
    let end = -1;
    for (let n = 1; n <= head.length && end < 0; n++) end = h.find(head.subarray(0, n));
    const ms = performance.now() - t;
    expect(end).toBe(head.length - 4);
    // a search from the start on every byte would scan 16 K × 16 K / 2 ≈ 130 M bytes (hundreds of ms)
    expect(ms).toBeLessThan(100);
  });
});

describe('headerFields', () => {
  it('lower-cases names, keeps repeats in order, skips lines without a name', () => {
    const h = headerFields(['RTSP/1.0 401 Unauthorized', 'WWW-Authenticate: Digest realm="a"', 'www-authenticate: Basic realm="a"', ': x', 'junk', 'CSeq:  3 ']);
    expect([...h]).toEqual([
      ['www-authenticate', ['Digest realm="a"', 'Basic realm="a"']],
      ['cseq', ['3']],
    ]);
  });
});

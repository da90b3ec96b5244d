/** The raw HTTP/1.x response reader behind the SOAP rungs, and the request it writes. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HttpResponseReader, MAX_HEAD_BYTES, MAX_INTERIM, parseHttpResponse } from '../../edge-agent/probes/http-wire.ts';
import { soapPost, soapRequestText } from '../../edge-agent/probes/soap-http.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('parseHttpResponse', () => {
  it('Content-Length body; waits until complete', () => {
    const full = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: Tue, 27 Feb 2018 18:28:01 GMT\r\n\r\nhello';
    expect(parseHttpResponse(b(full.slice(0, -1)), false)).toBeNull();
    expect(parseHttpResponse(b(full), false)).toEqual({ status: 200, headers: { 'content-length': '5', date: 'Tue, 27 Feb 2018 18:28:01 GMT' }, body: 'hello' });
  });
  it('chunked body, with chunk extensions', () => {
    const full = 'HTTP/1.1 500 Internal\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';
    expect(parseHttpResponse(b(full.slice(0, 30 + 20)), false)).toBeNull();
    expect(parseHttpResponse(b(full), false)?.body).toBe('abcde');
  });
  it('no length: body runs to the close; truncated length at close is an error', () => {
    expect(parseHttpResponse(b('HTTP/1.0 200 OK\r\n\r\n<x/>'), false)).toBeNull();
    expect(parseHttpResponse(b('HTTP/1.0 200 OK\r\n\r\n<x/>'), true)?.body).toBe('<x/>');
    expect(() => parseHttpResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab'), true)).toThrow('truncated');
  });
  it('skips 100 Continue; repeated WWW-Authenticate becomes an array; non-HTTP throws', () => {
    const r = parseHttpResponse(
      b(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="a", nonce="1"\r\nWWW-Authenticate: Basic realm="a"\r\nContent-Length: 0\r\n\r\n',
      ),
      false,
    );
    expect(r?.status).toBe(401);
    expect(r?.headers['www-authenticate']).toEqual(['Digest realm="a", nonce="1"', 'Basic realm="a"']);
    expect(() => parseHttpResponse(b('RTSP/1.0 200 OK\r\n\r\n'), false)).toThrow('not HTTP');
  });
});

describe('HttpResponseReader (incremental, bounded)', () => {
  const FULL = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';
  it('the same answer however the bytes are split (every split point, then byte by byte)', () => {
    for (let cut = 1; cut < FULL.length; cut++) {
      const r = new HttpResponseReader();
      const first = r.push(b(FULL.slice(0, cut)));
      const res = first ?? r.push(b(FULL.slice(cut)));
      expect(res?.body, `cut ${cut}`).toBe('abcde');
    }
    const r = new HttpResponseReader();
    let res = null;
    for (let i = 0; i < FULL.length && !res; i++) res = r.push(b(FULL[i]!));
    expect(res?.status).toBe(200);
  });
  it('a chunk whose data is not followed by CRLF is an error (not silently read on)', () => {
    expect(() => parseHttpResponse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY2\r\nde\r\n0\r\n\r\n'), false)).toThrow('bad chunk');
  });
  it('chunk sizes: hex digits only, at most 8, lines capped', () => {
    for (const size of ['-1', '0x3', 'g', '123456789', ' ']) {
      expect(() => parseHttpResponse(b(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\nabc\r\n0\r\n\r\n`), false), size).toThrow('bad chunk');
    }
    expect(() => parseHttpResponse(b(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;${'x'.repeat(2000)}`), false)).toThrow('bad chunk');
  });
  it('limits: head size, interim answers, Content-Length form', () => {
    expect(() => parseHttpResponse(b(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`), false)).toThrow('head too large');
    expect(() => parseHttpResponse(b(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`), false)).toThrow('head too large');
    expect(parseHttpResponse(b(`${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(MAX_INTERIM)}HTTP/1.1 204 No Content\r\n\r\n`), false)?.status).toBe(204);
    expect(() => parseHttpResponse(b(`${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(MAX_INTERIM + 1)}HTTP/1.1 204 No Content\r\n\r\n`), false)).toThrow('too many interim');
    for (const cl of ['-1', '1e3', '0x10', '12345678901234', ' ']) {
      expect(() => parseHttpResponse(b(`HTTP/1.1 200 OK\r\nContent-Length: ${cl}\r\n\r\nabc`), false), cl).toThrow('bad length');
    }
  });
});

describe('soapPost', () => {
  it('writes a well-formed HTTP/1.1 POST with Connection: close', () => {
    const t = soapRequestText({ host: '127.0.0.1', port: 8080, path: '/onvif/device_service', body: '<é/>', timeoutMs: 1, authorization: 'Digest x' });
    expect(t).toBe(
      'POST /onvif/device_service HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: 5\r\nConnection: close\r\nAuthorization: Digest x\r\n\r\n<é/>',
    );
  });

  it('reads a chunked answer dribbled byte by byte, and a too-large answer fails', async () => {
    const reply = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<ok>\r\n5\r\n</ok>\r\n0\r\n\r\n';
    const server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', async () => {
        for (const ch of reply) {
          s.write(ch);
          await new Promise((r) => setImmediate(r));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const res = await soapPost({ host: '127.0.0.1', port, path: '/', body: '<x/>', timeoutMs: 2000 });
      expect(res.body).toBe('<ok></ok>');
      await expect(soapPost({ host: '127.0.0.1', port, path: '/', body: '<x/>', timeoutMs: 2000, maxBytes: 20 })).rejects.toMatchObject({ kind: 'fail', code: 'too_large' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

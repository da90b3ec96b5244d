/** The raw HTTP/1.x response reader behind the SOAP rungs, and the request it writes. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseHttpResponse } from '../../edge-agent/probes/http-wire.ts';
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

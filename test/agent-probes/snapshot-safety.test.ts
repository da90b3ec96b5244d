/**
 * The snapshot source against cameras that ask for more than they should (issue 14, item 3):
 * a GetSnapshotUri naming another host gets no request (the camera's credentials go nowhere
 * else), is logged and counted; Basic auth is answered only for a camera configured for it.
 * Loopback fakes: the ONVIF camera on 127.0.0.1 (./fake-camera.ts), a "collector" on 127.0.0.2
 * that challenges with Basic and records what it is sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isCameraHost, SnapshotSource } from '../../edge-agent/snapshots.ts';
import type { Logger } from '../../src/log.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeOnvif, TINY_JPEG, type FakeOnvifOptions, type Running } from './fake-camera.ts';

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function camera(o: Partial<FakeOnvifOptions>): Promise<Running & { authorizations: string[] }> {
  const authorizations: string[] = [];
  const r = await startFakeOnvif({ username: 'admin', password: PASSWORD, vendor: 'hikvision', authorizations, ...o });
  running.push(r);
  return { ...r, authorizations };
}

/** An HTTP server elsewhere on loopback that asks for Basic credentials and keeps what it gets. */
async function collector(host = '127.0.0.2'): Promise<{ port: number; requests: Array<{ url: string; authorization?: string }> }> {
  const requests: Array<{ url: string; authorization?: string }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    if (!req.headers.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' });
      return void res.end();
    }
    res.writeHead(200, { 'Content-Type': 'image/jpeg' });
    res.end(TINY_JPEG);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  running.push({
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  });
  return { port: (server.address() as AddressInfo).port, requests };
}

/** A logger that keeps its warnings (the source logs a refused URI). */
function captureLog(): { log: Logger; warnings: Array<{ fields: Record<string, unknown>; msg: string }> } {
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const log = {
    warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }),
    child: () => log,
  };
  return { log: log as unknown as Logger, warnings };
}

const noRtsp = async () => ({ ok: false as const, reason: 'fail' as const, detail: 'no RTSP here', ms: 0 });
const camOf = (port: number, extra: Partial<AgentCamera> = {}): AgentCamera => ({ ...loopbackCamera({ onvifPort: port }), ...extra });

describe('the snapshot URI must name the camera itself', () => {
  it('a URI on the camera (any port, userinfo dropped): one snapshot, digest GET', async () => {
    const cam = await camera({ snapshotUri: 'http://evil:x@127.0.0.1:{port}/snapshot.jpg' });
    const src = new SnapshotSource({ grabFrame: noRtsp });
    const r = await src.grab(camOf(cam.port));
    expect(r).toMatchObject({ ok: true, via: 'onvif' });
    expect(cam.requests).toContain('GET /snapshot.jpg');
    expect(src.counters.refusedUris).toBe(0);
  });

  it('a URI naming another host: refused and logged, that host gets no request, the camera credentials go nowhere', async () => {
    const thief = await collector();
    const cam = await camera({ snapshotUri: `http://127.0.0.2:${thief.port}/snapshot.jpg` });
    const { log, warnings } = captureLog();
    const src = new SnapshotSource({ grabFrame: noRtsp, log });
    const r = await src.grab(camOf(cam.port));
    expect(r.ok).toBe(false);
    expect(thief.requests).toEqual([]);
    expect(src.counters.refusedUris).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({ camera: '37092300001310000001', uriHost: '127.0.0.2', cameraHost: '127.0.0.1' });
    expect(JSON.stringify(warnings)).not.toContain(PASSWORD);
    expect(cam.requests.filter((q) => q.startsWith('GET'))).toEqual([]);
  });

  it.each([
    ['a name that merely starts with the address', 'http://127.0.0.1.nip.io:{thief}/snapshot.jpg'],
    ['an IPv4-mapped IPv6 form of another address', 'http://[::ffff:127.0.0.2]:{thief}/snapshot.jpg'],
    ['another address in the decimal form', 'http://2130706434:{thief}/snapshot.jpg'],
  ])('%s is another host', async (_name, uri) => {
    const thief = await collector();
    const cam = await camera({ snapshotUri: uri.replace('{thief}', String(thief.port)) });
    const src = new SnapshotSource({ grabFrame: noRtsp, log: captureLog().log });
    expect((await src.grab(camOf(cam.port))).ok).toBe(false);
    expect(thief.requests).toEqual([]);
    expect(src.counters.refusedUris).toBe(1);
  });

  it('the camera address written another way (decimal, hex, trailing dot) is the camera', () => {
    for (const h of ['127.0.0.1', '2130706433', '0x7f.0.0.1', '127.1']) expect(isCameraHost(new URL(`http://${h}/`).hostname, '127.0.0.1', undefined), h).toBe(true);
    expect(isCameraHost('cam-7.example.', 'CAM-7.example', undefined)).toBe(true);
    expect(isCameraHost('[::1]', '::1', undefined)).toBe(true);
    expect(isCameraHost('[0:0::1]', '[::1]', undefined)).toBe(true);
  });

  it('the address the camera answered from counts (a camera configured by name reports its address)', () => {
    expect(isCameraHost('10.1.2.3', 'cam-7.example', '10.1.2.3')).toBe(true);
    expect(isCameraHost('10.1.2.3', 'cam-7.example', '::ffff:10.1.2.3')).toBe(true);
    expect(isCameraHost('10.1.2.4', 'cam-7.example', '10.1.2.3')).toBe(false);
    expect(isCameraHost('10.1.2.3', 'cam-7.example', undefined)).toBe(false);
    expect(isCameraHost('', '127.0.0.1', '127.0.0.1')).toBe(false);
  });
});

describe('the snapshot answer itself', () => {
  it('a head over 16 KB is refused (not buffered); the source stays usable', async () => {
    const sockets = new Set<Socket>();
    const server = createServer({ maxHeaderSize: 64 * 1024 }, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'X-Pad': 'a'.repeat(20 * 1024) });
      res.end(TINY_JPEG);
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    running.push({
      close: () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    });
    const padPort = (server.address() as AddressInfo).port;
    const cam = await camera({ snapshotUri: `http://127.0.0.1:${padPort}/snapshot.jpg` });
    const src = new SnapshotSource({ grabFrame: noRtsp });
    const r = await src.grab(camOf(cam.port));
    expect(r).toMatchObject({ ok: false });
    expect(r.ok === false && r.detail).toBe('snapshot: HPE_HEADER_OVERFLOW');
  });
});

describe('Basic auth only where the camera is configured for it', () => {
  it('a camera offering only Basic, not configured for it: auth refused, no credentials sent', async () => {
    const cam = await camera({ auth: 'http-basic', snapshotUri: 'http://127.0.0.1:{port}/snapshot.jpg' });
    const src = new SnapshotSource({ grabFrame: noRtsp });
    const r = await src.grab(camOf(cam.port));
    expect(r).toMatchObject({ ok: false, reason: 'auth' });
    expect(r.ok === false && r.detail).toContain('Basic');
    expect(cam.authorizations).toEqual([]);
  });

  it('configured httpAuth: basic: the snapshot comes, over Basic', async () => {
    const cam = await camera({ auth: 'http-basic', snapshotUri: 'http://127.0.0.1:{port}/snapshot.jpg' });
    const src = new SnapshotSource({ grabFrame: noRtsp });
    const r = await src.grab(camOf(cam.port, { httpAuth: 'basic' }));
    expect(r).toMatchObject({ ok: true, via: 'onvif' });
    expect(cam.authorizations.length).toBeGreaterThan(0);
    expect(cam.authorizations.every((a) => a.startsWith('Basic '))).toBe(true);
  });

  it('a camera offering Digest gets Digest, even where Basic is allowed', async () => {
    const cam = await camera({ auth: 'http-digest', snapshotUri: 'http://127.0.0.1:{port}/snapshot.jpg' });
    const src = new SnapshotSource({ grabFrame: noRtsp });
    expect(await src.grab(camOf(cam.port, { httpAuth: 'basic' }))).toMatchObject({ ok: true });
    expect(cam.authorizations.length).toBeGreaterThan(0);
    expect(cam.authorizations.every((a) => a.startsWith('Digest '))).toBe(true);
  });
});

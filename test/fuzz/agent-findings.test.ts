/**
 * What the agent fuzz campaign found in files other engineers own, as minimal repros. Each was
 * written `it.fails` while the bug stood (the test passed because the expectation failed) and is
 * a plain `it` once fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginGuard } from '../../edge-agent/login-guard.ts';
import { type SnapshotOptions, SnapshotSource } from '../../edge-agent/snapshots.ts';
import { createLogger } from '../../src/log.ts';
import { capabilities, profiles, snapshotUri, systemDateAndTime } from '../../src/simulator/onvif-templates.ts';
import { HangError, within } from './campaign.ts';
import { type HostilePeer, type Reply, startHostilePeer } from './hostile-peer.ts';

const frame = (xml: string): Reply => ({ bytes: Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: ${Buffer.byteLength(xml)}\r\n\r\n${xml}`) });

describe('fuzz findings, agent', () => {
  let peer: HostilePeer;
  beforeAll(async () => {
    peer = await startHostilePeer();
  });
  afterAll(async () => {
    await peer?.close();
  });

  // found by agent.snapshot_replies, shrunk to: the snapshot GET answered
  // "HTTP/1.1 200\r\nContent-Length: 1006\r\n\r\n" + ff d8 ff e0 ff d9, then the connection closed.
  // SnapshotSource.get() listened for the request's 'error' and the response's 'end' only: once a
  // response head has arrived, neither fires for a cut body (nor for its own timer's req.destroy),
  // so grab() never settled, and as grabs of one camera share the pending one, that camera's live
  // view was dead until the agent restarted. Fixed: get() also settles on res 'aborted' / 'error' /
  // 'close' without 'end' (a 'fail' naming the cut), and its timer rejects by itself.
  it('a snapshot GET answered with a head and a body cut by the camera closing settles within its deadline', async () => {
    const end = 'close';
    peer.use((req, _n, port) => {
      const id = { host: '127.0.0.1', onvifPort: port, rtspPort: port, code: 'fz1' };
      if (req.startsWith('GET ')) return { bytes: Buffer.from([...Buffer.from('HTTP/1.1 200\r\nContent-Length: 1006\r\n\r\n'), 0xff, 0xd8, 0xff, 0xe0, 0xff, 0xd9]), end };
      if (req.includes('GetSystemDateAndTime')) return frame(systemDateAndTime(Date.now()));
      if (req.includes('GetCapabilities')) return frame(capabilities(id));
      if (req.includes('GetProfiles')) return frame(profiles());
      if (req.includes('GetSnapshotUri')) return frame(snapshotUri(id));
      return null;
    });
    const source = new SnapshotSource({
      timeoutMs: 300,
      guard: new LoginGuard(0),
      grabFrame: (async () => ({ ok: false, reason: 'fail', detail: 'no ffmpeg here', ms: 0 })) as unknown as SnapshotOptions['grabFrame'],
      ...({ log: createLogger('fuzz', { write: () => true } as unknown as NodeJS.WritableStream) } as object),
    });
    const cam = {
      code: 'fz1',
      host: peer.host,
      onvifPort: peer.port,
      onvifPath: '/onvif/device_service',
      rtspPort: peer.port,
      rtspUrl: `rtsp://${peer.host}:${peer.port}/x`,
      username: 'admin',
      password: 'pw',
      siteId: null,
    };
    const t0 = Date.now();
    const r = await within(source.grab(cam), 3000).catch((e) => (e instanceof HangError ? 'hang' : 'error'));
    expect(r).not.toBe('hang');
    expect(r).toMatchObject({ ok: false, reason: 'fail', detail: expect.stringMatching(/closed|cut/) });
    expect(Date.now() - t0).toBeLessThan(1500); // settled on the close, not on some later timer
    // the camera is not stuck: the next grab runs (and settles) on its own
    const r2 = await within(source.grab(cam), 3000).catch((e) => (e instanceof HangError ? 'hang' : 'error'));
    expect(r2).toMatchObject({ ok: false });
  });

  // the other path: the head arrives, the body is held (the socket stays open, nothing more comes).
  // The deadline must settle it by itself (req.destroy after the head emits no request 'error').
  it('a snapshot GET whose body is held after the head settles as a timeout at its deadline', async () => {
    peer.use((req, _n, port) => {
      const id = { host: '127.0.0.1', onvifPort: port, rtspPort: port, code: 'fz2' };
      if (req.startsWith('GET ')) return { bytes: Buffer.from([...Buffer.from('HTTP/1.1 200\r\nContent-Length: 1006\r\n\r\n'), 0xff, 0xd8, 0xff, 0xe0]) };
      if (req.includes('GetSystemDateAndTime')) return frame(systemDateAndTime(Date.now()));
      if (req.includes('GetCapabilities')) return frame(capabilities(id));
      if (req.includes('GetProfiles')) return frame(profiles());
      if (req.includes('GetSnapshotUri')) return frame(snapshotUri(id));
      return null;
    });
    const source = new SnapshotSource({
      timeoutMs: 300,
      guard: new LoginGuard(0),
      grabFrame: (async () => ({ ok: false, reason: 'fail', detail: 'no ffmpeg here', ms: 0 })) as unknown as SnapshotOptions['grabFrame'],
      ...({ log: createLogger('fuzz', { write: () => true } as unknown as NodeJS.WritableStream) } as object),
    });
    const cam = {
      code: 'fz2',
      host: peer.host,
      onvifPort: peer.port,
      onvifPath: '/onvif/device_service',
      rtspPort: peer.port,
      rtspUrl: `rtsp://${peer.host}:${peer.port}/x`,
      username: 'admin',
      password: 'pw',
      siteId: null,
    };
    const r = await within(source.grab(cam), 3000).catch((e) => (e instanceof HangError ? 'hang' : 'error'));
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
  });
});

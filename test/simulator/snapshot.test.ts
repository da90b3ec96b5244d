import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationHeader, parseChallenges } from '../../src/protocol/digest-auth.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import type { Fleet } from '../../src/simulator/fleet-api.ts';
import { startFleet } from '../../src/simulator/fleet.ts';
import { encodeJpeg, fastEncoderActive } from '../../src/simulator/jpeg-encoder.ts';
import { renderSnapshot, SnapshotCache, SNAPSHOT_HEIGHT, SNAPSHOT_WIDTH } from '../../src/simulator/snapshot-image.ts';
import { makeCameraSpecs } from '../../src/simulator/specs.ts';
import { httpRequest, soap } from './clients.ts';

let fleet: Fleet;
let cam: AgentCamera;
let other: AgentCamera;

beforeAll(async () => {
  fleet = await startFleet({ cameras: makeCameraSpecs(2, { seed: 3 }), hostBase: '127.23' });
  [cam, other] = fleet.endpoints() as [AgentCamera, AgentCamera];
});
afterAll(async () => {
  await fleet.close();
});

async function snapshotUriOf(c: AgentCamera): Promise<URL> {
  const r = await soap(c, 'GetSnapshotUri', c, { path: '/onvif/media_service', inner: '<ProfileToken>Profile_1</ProfileToken>' });
  return new URL(/<tt:Uri>([^<]+)<\/tt:Uri>/.exec(r.text)![1]!);
}

async function pull(c: AgentCamera, password = c.password) {
  const uri = await snapshotUriOf(c);
  const target = { host: uri.hostname, port: Number(uri.port), path: uri.pathname };
  const first = await httpRequest(target);
  const ch = parseChallenges(first.headers['www-authenticate'])[0]!;
  const second = await httpRequest({ ...target, headers: { Authorization: authorizationHeader(ch, { username: c.username, password }, 'GET', uri.pathname) } });
  return { first, second };
}

describe('HTTP JPEG snapshot', () => {
  it('answers 401 with a digest challenge, then a real JPEG; counts one pull', async () => {
    expect(fleet.snapshotPulls(cam.code)).toBe(0);
    const { first, second } = await pull(cam);
    expect(first.status).toBe(401);
    expect(String(first.headers['www-authenticate'])).toMatch(/^Digest realm="[^"]+", nonce="[0-9a-f]+", qop="auth"/);
    expect(second.status).toBe(200);
    expect(second.headers['content-type']).toBe('image/jpeg');
    expect(second.body[0]).toBe(0xff);
    expect(second.body[1]).toBe(0xd8);
    const img = jpeg.decode(second.body, { useTArray: true });
    expect([img.width, img.height]).toEqual([SNAPSHOT_WIDTH, SNAPSHOT_HEIGHT]);
    expect(fleet.snapshotPulls(cam.code)).toBe(1);
    expect(fleet.counters(cam.code).snapshotAuthFailures).toBe(1);
    expect(fleet.snapshotPulls(other.code)).toBe(0);
  });

  it('refuses a wrong password and does not count it as a pull', async () => {
    const before = fleet.snapshotPulls(cam.code);
    const { second } = await pull(cam, 'wrong');
    expect(second.status).toBe(401);
    expect(fleet.snapshotPulls(cam.code)).toBe(before);
  });

  it('counts every delivered snapshot: N pulls → N', async () => {
    fleet.resetCounters();
    for (let i = 0; i < 5; i++) expect((await pull(other)).second.status).toBe(200);
    expect(fleet.snapshotPulls(other.code)).toBe(5);
    expect(fleet.totals().snapshotPulls).toBe(5);
  });

  it('encodes at most once per second per camera and differs per camera and per second', () => {
    const cache = new SnapshotCache('X1', 1);
    const t = 1_700_000_000_000;
    const a = cache.get(t);
    expect(cache.get(t + 500)).toBe(a);
    expect(cache.encodes).toBe(1);
    const b = cache.get(t + 1000);
    expect(cache.encodes).toBe(2);
    expect(b.equals(a)).toBe(false);
    expect(renderSnapshot('X1', 5, 1).equals(renderSnapshot('X2', 5, 2))).toBe(false);
  });

  it('the reused encoder is active and produces the same bytes as jpeg-js encode()', () => {
    expect(fastEncoderActive()).toBe(true);
    const data = Buffer.alloc(64 * 32 * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 256;
    const img = { data, width: 64, height: 32 };
    expect(encodeJpeg(img, 60).equals(jpeg.encode(img, 60).data)).toBe(true);
    expect(encodeJpeg(img, 60).equals(encodeJpeg(img, 60))).toBe(true);
  });
});

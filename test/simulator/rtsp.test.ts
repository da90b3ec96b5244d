import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationHeader, parseChallenges } from '../../src/protocol/digest-auth.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import type { Fleet } from '../../src/simulator/fleet-api.ts';
import { startFleet } from '../../src/simulator/fleet.ts';
import { makeCameraSpecs } from '../../src/simulator/specs.ts';
import { connect } from 'node:net';
import { seededRandom } from '../../src/simulator/specs.ts';
import { RtspClient, tcpProbe } from './clients.ts';

let fleet: Fleet;
let cam: AgentCamera;

beforeAll(async () => {
  fleet = await startFleet({ cameras: makeCameraSpecs(2, { seed: 5 }), hostBase: '127.22' });
  cam = fleet.endpoint(fleet.endpoints()[0]!.code);
});
afterAll(async () => {
  await fleet.close();
});

async function describeWithDigest(c: RtspClient, url: string, cseq: number, password = cam.password) {
  const first = await c.request('DESCRIBE', url, cseq, { Accept: 'application/sdp' });
  const ch = parseChallenges(first.all('WWW-Authenticate'))[0]!;
  const auth = authorizationHeader(ch, { username: cam.username, password }, 'DESCRIBE', url);
  return { first, second: await c.request('DESCRIBE', url, cseq + 1, { Accept: 'application/sdp', Authorization: auth }) };
}

describe('RTSP server', () => {
  it('answers OPTIONS without auth and echoes CSeq', async () => {
    const c = await RtspClient.open(cam.host, cam.rtspPort);
    const r = await c.request('OPTIONS', cam.rtspUrl, 7);
    expect(r.status).toBe(200);
    expect(r.header('CSeq')).toBe('7');
    expect(r.header('Public')).toContain('DESCRIBE');
    c.close();
  });

  it('DESCRIBE: 401 with Digest and Basic challenges, then 200 + H.264 SDP with digest, same connection', async () => {
    const c = await RtspClient.open(cam.host, cam.rtspPort);
    const { first, second } = await describeWithDigest(c, cam.rtspUrl, 2);
    expect(first.status).toBe(401);
    const challenges = first.all('WWW-Authenticate');
    expect(challenges).toHaveLength(2);
    expect(challenges[0]).toMatch(/^Digest realm="IP Camera\([0-9A-Z]{5}\)", nonce="[0-9a-f]+", stale="FALSE"$/);
    expect(challenges[1]).toMatch(/^Basic realm=/);
    expect(second.status).toBe(200);
    expect(second.header('CSeq')).toBe('3');
    expect(second.header('Content-Type')).toBe('application/sdp');
    expect(second.header('Content-Base')).toBe(`${cam.rtspUrl}/`);
    expect(second.body).toMatch(/^v=0\r\n/);
    expect(second.body).toContain('m=video 0 RTP/AVP 96');
    expect(second.body).toContain('a=rtpmap:96 H264/90000');
    expect(second.body).toContain('sprop-parameter-sets=');
    expect(second.body).toContain(`a=control:${cam.rtspUrl}/trackID=1`);
    expect(fleet.counters(cam.code).rtspDescribes).toBeGreaterThanOrEqual(1);
    c.close();
  });

  it('accepts the URL with a query as GetStreamUri gives it, and refuses a wrong password', async () => {
    const c = await RtspClient.open(cam.host, cam.rtspPort);
    const url = `${cam.rtspUrl}?transportmode=unicast&profile=Profile_1`;
    expect((await describeWithDigest(c, url, 1)).second.status).toBe(200);
    const wrong = await describeWithDigest(c, cam.rtspUrl, 10, 'bad');
    expect(wrong.second.status).toBe(401);
    const missing = await c.request('DESCRIBE', cam.rtspUrl.replace('/101', '/999'), 20, {
      Authorization: authorizationHeader(parseChallenges(wrong.second.all('WWW-Authenticate'))[0]!, cam, 'DESCRIBE', cam.rtspUrl),
    });
    expect(missing.status).toBe(404);
    c.close();
  });

  it('handles pipelined requests and requests split into tiny pieces, in order', async () => {
    const c = await RtspClient.open(cam.host, cam.rtspPort);
    c.write(`OPTIONS ${cam.rtspUrl} RTSP/1.0\r\nCSeq: 1\r\n\r\nOPTIONS ${cam.rtspUrl} RTSP/1.0\r\nCSeq: 2\r\n\r\nDESCRIBE ${cam.rtspUrl} RTSP/1.0\r\nCSeq: 3\r\n\r\n`);
    const rs = [await c.next(), await c.next(), await c.next()];
    expect(rs.map((r) => [r.status, r.header('CSeq')])).toEqual([
      [200, '1'],
      [200, '2'],
      [401, '3'],
    ]);
    const msg = `OPTIONS ${cam.rtspUrl} RTSP/1.0\r\nCSeq: 4\r\n\r\n`;
    for (const ch of msg) {
      c.write(ch);
      await new Promise((r) => setImmediate(r));
    }
    const r = await c.next();
    expect([r.status, r.header('CSeq')]).toEqual([200, '4']);
    // a SET_PARAMETER with a body is consumed whole, then the next request is answered
    c.write(`SET_PARAMETER ${cam.rtspUrl} RTSP/1.0\r\nCSeq: 5\r\nContent-Length: 5\r\n\r\nhelloOPTIONS ${cam.rtspUrl} RTSP/1.0\r\nCSeq: 6\r\n\r\n`);
    expect((await c.next()).header('CSeq')).toBe('5');
    expect((await c.next()).header('CSeq')).toBe('6');
    c.close();
  });

  it('SETUP and PLAY after auth answer without streaming (461 / 455); unknown methods 501', async () => {
    const c = await RtspClient.open(cam.host, cam.rtspPort);
    const { first } = await describeWithDigest(c, cam.rtspUrl, 1);
    const ch = parseChallenges(first.all('WWW-Authenticate'))[0]!;
    const setup = await c.request('SETUP', `${cam.rtspUrl}/trackID=1`, 3, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
      Authorization: authorizationHeader(ch, cam, 'SETUP', `${cam.rtspUrl}/trackID=1`),
    });
    expect(setup.status).toBe(461);
    const play = await c.request('PLAY', cam.rtspUrl, 4, { Authorization: authorizationHeader(ch, cam, 'PLAY', cam.rtspUrl) });
    expect(play.status).toBe(455);
    expect((await c.request('RECORD', cam.rtspUrl, 5)).status).toBe(501);
    c.close();
  });

  it('survives garbage: binary noise, a huge header, a bad request line', async () => {
    const noise = await RtspClient.open(cam.host, cam.rtspPort);
    noise.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect((await noise.next()).status).toBe(400);
    noise.close();

    const huge = await RtspClient.open(cam.host, cam.rtspPort);
    huge.write(`OPTIONS ${cam.rtspUrl} RTSP/1.0\r\nX: ${'a'.repeat(40_000)}`);
    expect((await huge.next()).status).toBe(400);
    huge.close();

    const noCseq = await RtspClient.open(cam.host, cam.rtspPort);
    noCseq.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await noCseq.next()).status).toBe(400);
    noCseq.close();

    // interleaved '$' frames are skipped, the next request is answered
    const framed = await RtspClient.open(cam.host, cam.rtspPort);
    framed.write(Buffer.concat([Buffer.from([0x24, 0x00, 0x00, 0x03, 1, 2, 3]), Buffer.from(`OPTIONS ${cam.rtspUrl} RTSP/1.0\r\nCSeq: 9\r\n\r\n`)]));
    expect((await framed.next()).header('CSeq')).toBe('9');
    framed.close();

    // still alive
    const c = await RtspClient.open(cam.host, cam.rtspPort);
    expect((await c.request('OPTIONS', cam.rtspUrl, 1)).status).toBe(200);
    c.close();
    expect(await tcpProbe(cam.host, cam.onvifPort)).toBe('connected');
  });

  it('200 connections of seeded random bytes on both ports: no crash, still serving', async () => {
    const rnd = seededRandom(99);
    const blast = (port: number, data: Buffer) =>
      new Promise<void>((resolve) => {
        const s = connect({ host: cam.host, port }, () => s.end(data));
        s.on('data', () => undefined);
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 300);
      });
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const len = 1 + Math.floor(rnd() * 3000);
      const data = Buffer.alloc(len);
      for (let j = 0; j < len; j++) data[j] = rnd() < 0.3 ? 0x0d + (j % 2) * -3 : Math.floor(rnd() * 256);
      if (i % 3 === 0) data.write('DESCRIBE rtsp://x RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\n');
      if (i % 5 === 0) data.write('POST /onvif/device_service HTTP/1.1\r\nContent-Length: 5\r\n\r\n');
      jobs.push(blast(i % 2 === 0 ? cam.rtspPort : cam.onvifPort, data));
    }
    await Promise.all(jobs);
    const c = await RtspClient.open(cam.host, cam.rtspPort);
    expect((await c.request('OPTIONS', cam.rtspUrl, 1)).status).toBe(200);
    c.close();
    const { soap } = await import('./clients.ts');
    expect((await soap(cam, 'GetSystemDateAndTime')).status).toBe(200);
  });
});

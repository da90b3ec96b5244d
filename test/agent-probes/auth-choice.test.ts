/** Which challenge the agent answers (issue 14, item 3): Digest; Basic only for a camera configured `httpAuth: 'basic'`. */
import { afterEach, describe, expect, it } from 'vitest';
import { BASIC_REFUSED, chooseChallenge, MAX_CHALLENGE_CHARS, MAX_CHALLENGE_VALUES } from '../../edge-agent/probes/auth-choice.ts';
import { onvifAuth } from '../../edge-agent/probes/onvif-auth.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeOnvif, type Running } from './fake-camera.ts';

const DIGEST = 'Digest realm="cam", nonce="abc", qop="auth"';
const BASIC = 'Basic realm="cam"';

describe('chooseChallenge', () => {
  it('Digest when offered, in any order, whatever the setting', () => {
    for (const httpAuth of [undefined, 'digest', 'basic'] as const) {
      expect(chooseChallenge([BASIC, DIGEST], { httpAuth })).toMatchObject({ challenge: { scheme: 'digest', nonce: 'abc' } });
      expect(chooseChallenge(`${BASIC}, ${DIGEST}`, { httpAuth })).toMatchObject({ challenge: { scheme: 'digest' } });
    }
  });
  it('Basic alone: refused by default and for digest, answered for basic', () => {
    expect(chooseChallenge(BASIC, {})).toEqual({ refused: BASIC_REFUSED });
    expect(chooseChallenge([BASIC], { httpAuth: 'digest' })).toEqual({ refused: BASIC_REFUSED });
    expect(chooseChallenge(BASIC, { httpAuth: 'basic' })).toMatchObject({ challenge: { scheme: 'basic', realm: 'cam' } });
  });
  it('nothing to answer: no header, an unknown scheme', () => {
    expect(chooseChallenge(undefined, {})).toEqual({ none: true });
    expect(chooseChallenge('Negotiate abc', {})).toEqual({ none: true });
  });
  it('camera-controlled header values are bounded: an over-long value is skipped (not cut), values past the first few ignored', () => {
    const long = `Digest realm="cam", nonce="${'n'.repeat(MAX_CHALLENGE_CHARS)}"`;
    expect(chooseChallenge([long], {})).toEqual({ none: true });
    expect(chooseChallenge([long, DIGEST], {})).toMatchObject({ challenge: { nonce: 'abc' } });
    const many = [...Array.from({ length: MAX_CHALLENGE_VALUES }, () => 'Negotiate x'), DIGEST];
    expect(chooseChallenge(many, {})).toEqual({ none: true });
    const t = performance.now();
    chooseChallenge(
      Array.from({ length: 10_000 }, () => `Digest ${'a="'.repeat(600)}`),
      {},
    );
    expect(performance.now() - t).toBeLessThan(100);
  });
});

describe('onvif_auth against a camera that challenges with Basic only', () => {
  const running: Running[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.close()));
  });

  it('not configured for Basic: outcome auth naming why, and the password never sent', async () => {
    const authorizations: string[] = [];
    const cam = await startFakeOnvif({ username: 'admin', password: PASSWORD, auth: 'http-basic', authorizations });
    running.push(cam);
    const r = await onvifAuth({ cam: loopbackCamera({ onvifPort: cam.port }), timeoutMs: 2000, clockOffsetMs: 0 });
    expect(r).toEqual({ outcome: 'auth', detail: `HTTP 401: ${BASIC_REFUSED}` });
    expect(authorizations).toEqual([]);
    expect(cam.requests).toEqual(['GetDeviceInformation']);
  });

  it('configured httpAuth: basic: ok over Basic', async () => {
    const authorizations: string[] = [];
    const cam = await startFakeOnvif({ username: 'admin', password: PASSWORD, auth: 'http-basic', authorizations });
    running.push(cam);
    const r = await onvifAuth({ cam: { ...loopbackCamera({ onvifPort: cam.port }), httpAuth: 'basic' }, timeoutMs: 2000, clockOffsetMs: 0 });
    expect(r).toEqual({ outcome: 'ok' });
    expect(authorizations).toHaveLength(1);
    expect(authorizations[0]).toMatch(/^Basic /);
  });
});

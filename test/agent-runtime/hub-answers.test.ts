/** What the agent receives from the hub is checked with the protocol schemas: commands, acks, assignments. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubLink } from '../../edge-agent/hub-link.ts';
import { LIVE_LIMITS, parseHubCommand } from '../../src/protocol/live-messages.ts';
import { ProtocolError } from '../../src/protocol/validate.ts';
import { camera, result } from './fixtures.ts';

describe('hub commands on the live channel (HubToAgentSchema)', () => {
  it('accepts welcome / start / stop, keeping only the known fields', () => {
    expect(parseHubCommand('{"type":"welcome","agent":"agent-a"}')).toEqual({ ok: true, msg: { type: 'welcome', agent: 'agent-a' } });
    expect(parseHubCommand('{"type":"start","camera":"3709:cam_01.a-b","intervalMs":1000,"extra":true}')).toEqual({
      ok: true,
      msg: { type: 'start', camera: '3709:cam_01.a-b', intervalMs: 1000 },
    });
    expect(parseHubCommand('{"type":"stop","camera":"c01"}')).toEqual({ ok: true, msg: { type: 'stop', camera: 'c01' } });
  });

  it('refuses bad codes, intervals out of LIVE_LIMITS, unknown types and non-objects, saying what is wrong', () => {
    const refused = (text: string) => {
      const p = parseHubCommand(text);
      if (p.ok) throw new Error(`accepted ${text}`);
      return p;
    };
    expect(refused('{"type":"start","camera":"c 01","intervalMs":1000}').message).toMatch(/^start: \/camera /);
    expect(refused(`{"type":"stop","camera":"${'c'.repeat(LIVE_LIMITS.maxCodeLength + 1)}"}`).message).toMatch(/^stop: \/camera /);
    expect(refused('{"type":"stop"}').message).toMatch(/^stop: .*camera/);
    expect(refused(`{"type":"start","camera":"c01","intervalMs":${LIVE_LIMITS.minIntervalMs - 1}}`).message).toMatch(/^start: \/intervalMs /);
    expect(refused(`{"type":"start","camera":"c01","intervalMs":${LIVE_LIMITS.maxIntervalMs + 1}}`).message).toMatch(/^start: \/intervalMs /);
    expect(refused('{"type":"start","camera":"c01","intervalMs":"1000"}').message).toMatch(/^start: \/intervalMs /);
    expect(refused('{"type":"start","camera":"c01","intervalMs":1e999}').code).toBe('bad_message');
    expect(refused('{"type":"welcome"}').message).toMatch(/^welcome: .*agent/);
    expect(refused('{"type":"reboot","camera":"c01"}').message).toMatch(/unknown command "reboot"/);
    expect(refused('[1]').code).toBe('bad_message');
    expect(refused('{nope').code).toBe('bad_json');
  });
});

describe('HubLink checks what the hub answers', () => {
  let body = '';
  let server: http.Server;
  let link: HubLink;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    link = new HubLink({ hubUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't', timeoutMs: 2000 });
  });
  afterAll(async () => {
    link.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const batch = { seq: 7, sentAt: 1, items: [result('A', 1)] };

  it('a valid report ack is taken as it is', async () => {
    body = JSON.stringify({ seq: 7, duplicate: true, accepted: 0, refused: [] });
    expect(await link.sendBatch(batch)).toEqual({ kind: 'ok', ack: { seq: 7, duplicate: true, accepted: 0, refused: [] } });
  });

  it('a malformed ack after a 2xx: the batch counts as taken (never resent) and the problem is named', async () => {
    body = JSON.stringify({ seq: 7, duplicate: 'no' });
    const out = await link.sendBatch(batch);
    expect(out).toMatchObject({ kind: 'ok', ack: { seq: 7, duplicate: false, accepted: 1, refused: [] } });
    expect(out.kind === 'ok' && out.ackProblem).toMatch(/^report ack: /);
    body = 'not json';
    expect(await link.sendBatch(batch)).toMatchObject({ kind: 'ok', ackProblem: 'report ack: not JSON' });
  });

  it('an assignment is validated: a malformed one throws a ProtocolError naming the problem', async () => {
    body = JSON.stringify({ agent: 'a', version: '3', cameras: [camera('A')], lastSeq: 12 });
    expect(await link.fetchAssignment()).toMatchObject({ version: '3', cameras: [{ code: 'A' }], lastSeq: 12 });
    body = JSON.stringify({ agent: 'a', version: '3', cameras: [{ ...camera('A'), rtspPort: 70_000 }] });
    await expect(link.fetchAssignment()).rejects.toThrow(ProtocolError);
    await expect(link.fetchAssignment()).rejects.toThrow(/^assignment: \/cameras\/0\/rtspPort /);
    body = '<html>';
    await expect(link.fetchAssignment()).rejects.toThrow('assignment: not JSON');
  });
});

/**
 * Fan-out under back-pressure, with a scripted agent on the real command channel sending big
 * frames fast: a viewer that stops reading skips frames (bounded hub memory) while a fast
 * viewer gets every one; frames from the wrong agent or malformed ones are refused.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, type HubToAgent } from '../../src/protocol/live-messages.ts';
import { AGENT_A, AGENT_B } from '../support/tiny-county.ts';
import { openViewer, sleep, startLiveEnv, until, type LiveEnv } from './live-env.ts';

const MAX_BUFFERED = 512 * 1024;

interface FakeAgent {
  ws: WebSocket;
  commands: HubToAgent[];
  close(): Promise<void>;
}

async function fakeAgent(env: LiveEnv, token: string): Promise<FakeAgent> {
  const ws = new WebSocket(env.hubUrl.replace('http:', 'ws:') + '/api/agent/channel', { headers: { authorization: `Bearer ${token}` } });
  const a: FakeAgent = {
    ws,
    commands: [],
    close: () =>
      new Promise<void>((r) => {
        if (ws.readyState === WebSocket.CLOSED) return r();
        ws.once('close', () => r());
        ws.close();
      }),
  };
  ws.on('message', (d: Buffer) => a.commands.push(JSON.parse(d.toString()) as HubToAgent));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return a;
}

/** a JPEG-shaped payload of `size` bytes (SOI marker + noise): the relay never decodes it */
const bigJpeg = (size: number) => Buffer.concat([Buffer.from([0xff, 0xd8]), randomBytes(size - 2)]);

describe('slow viewers and refused frames', () => {
  let env: LiveEnv;
  beforeAll(async () => {
    env = await startLiveEnv('127.41', { intervalMs: 200, graceMs: 200, maxBufferedBytes: MAX_BUFFERED });
  });
  afterAll(async () => env?.close());

  it('a paused viewer skips frames and never delays a fast one; hub memory stays bounded', async () => {
    const agent = await fakeAgent(env, AGENT_A.token);
    const fast = await openViewer(env, env.tokens.admin);
    const slow = await openViewer(env, env.tokens.admin);
    fast.send({ type: 'subscribe', cameras: ['c01'] });
    slow.send({ type: 'subscribe', cameras: ['c01'] });
    await until(() => agent.commands.some((c) => c.type === 'start' && c.camera === 'c01'), 3000, 'start command');
    expect(agent.commands.filter((c) => c.type === 'start')).toHaveLength(1);
    await until(() => fast.messages.some((m) => m.type === 'subscribed') && slow.messages.some((m) => m.type === 'subscribed'), 3000, 'subscribed');
    // the slow viewer stops reading: its TCP window closes, the hub's send buffer fills
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const FRAMES = 80;
    const SIZE = 300 * 1024;
    let maxSlowBuffered = 0;
    for (let i = 1; i <= FRAMES; i++) {
      agent.ws.send(encodeFrame({ camera: 'c01', capturedAt: Date.now(), seq: i }, bigJpeg(SIZE)));
      await sleep(15);
      const s = env.live.viewers.viewerStats();
      maxSlowBuffered = Math.max(maxSlowBuffered, ...s.map((x) => x.bufferedAmount));
    }
    await until(() => fast.frames.length === FRAMES, 10_000, `fast viewer has all ${FRAMES} frames (has ${fast.frames.length})`);
    expect(fast.frames.map((f) => f.seq)).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
    const stats = env.live.viewers.viewerStats();
    const slowStats = stats.find((x) => x.framesSkipped > 0);
    expect(slowStats, JSON.stringify(stats)).toBeDefined();
    expect(slowStats!.framesSent + slowStats!.framesSkipped).toBe(FRAMES);
    expect(slowStats!.framesSkipped).toBeGreaterThan(FRAMES / 4);
    // at most one frame over the cap is ever queued for it
    expect(maxSlowBuffered).toBeLessThanOrEqual(MAX_BUFFERED + SIZE + 64);
    expect(stats.filter((x) => x.framesSkipped > 0)).toHaveLength(1);
    // the slow viewer wakes up: it gets what was queued, then the latest frames again (no backlog of all 80)
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
    await until(() => slow.frames.length === slowStats!.framesSent, 10_000, 'slow viewer drained');
    agent.ws.send(encodeFrame({ camera: 'c01', capturedAt: Date.now(), seq: FRAMES + 1 }, bigJpeg(1000)));
    await until(() => slow.frames.at(-1)?.seq === FRAMES + 1, 3000, 'slow viewer back to live');
    await fast.close();
    await slow.close();
    await agent.close();
  });

  it('frames for a camera of another agent, or for no running stream, or malformed, are refused', async () => {
    const a = await fakeAgent(env, AGENT_A.token);
    const b = await fakeAgent(env, AGENT_B.token);
    const v = await openViewer(env, env.tokens.admin);
    v.send({ type: 'subscribe', cameras: ['c02'] });
    await until(() => a.commands.some((c) => c.type === 'start' && c.camera === 'c02'), 3000, 'start to agent-a');
    expect(b.commands.some((c) => c.type === 'start')).toBe(false);
    const refused0 = env.live.agents.counters.refusedFrames;
    b.ws.send(encodeFrame({ camera: 'c02', capturedAt: Date.now(), seq: 1 }, bigJpeg(500))); // wrong agent
    a.ws.send(encodeFrame({ camera: 'c05', capturedAt: Date.now(), seq: 1 }, bigJpeg(500))); // nobody watches c05
    a.ws.send(Buffer.from('garbage that is not a frame'));
    a.ws.send(encodeFrame({ camera: 'c02', capturedAt: Date.now(), seq: 2 }, Buffer.from('not a jpeg')));
    a.ws.send('{"type":"grab_failed"}'); // bad text: logged and ignored
    a.ws.send(encodeFrame({ camera: 'c02', capturedAt: Date.now(), seq: 3 }, bigJpeg(500)));
    await until(() => v.frames.length === 1, 3000, 'the one good frame');
    expect(v.frames[0]).toMatchObject({ camera: 'c02', seq: 3 });
    expect(env.live.agents.counters.refusedFrames - refused0).toBe(4);
    await v.close();
    await until(() => a.commands.some((c) => c.type === 'stop' && c.camera === 'c02'), 3000, 'stop after the grace period');
    await a.close();
    await b.close();
  });
});

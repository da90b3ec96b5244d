/** Relay and wire format without sockets: fake viewers and a fake agent command sink. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Relay, type AgentCommands, type ViewerSink } from '../../src/live/relay.ts';
import { decodeFrame, encodeFrame, parseHubCommand, parseViewerMessage, type HubToAgent } from '../../src/protocol/live-messages.ts';

const JPEG = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);

function sink(id: number, buffered = 0): ViewerSink & { got: (Buffer | string)[]; buffered: number } {
  const s = {
    id,
    got: [] as (Buffer | string)[],
    buffered,
    framesSent: 0,
    framesSkipped: 0,
    send: (d: Buffer | string) => void s.got.push(d),
    bufferedAmount: () => s.buffered,
    isOpen: () => true,
  };
  return s;
}

function agents(connected = true): AgentCommands & { sent: [string, HubToAgent][]; connected: boolean } {
  const a = {
    sent: [] as [string, HubToAgent][],
    connected,
    isConnected: () => a.connected,
    send: (id: string, c: HubToAgent) => {
      a.sent.push([id, c]);
      return true;
    },
  };
  return a;
}

describe('wire format', () => {
  it('frames round-trip; garbage is refused', () => {
    const buf = encodeFrame({ camera: 'c01', capturedAt: 123, seq: 7 }, JPEG);
    expect(decodeFrame(buf)).toEqual({ header: { camera: 'c01', capturedAt: 123, seq: 7 }, jpeg: JPEG });
    expect(decodeFrame(Buffer.from('hello world!'))).toBeNull();
    expect(decodeFrame(encodeFrame({ camera: 'c01', capturedAt: 1, seq: 1 }, Buffer.from('PNG....')))).toBeNull();
    expect(decodeFrame(encodeFrame({ camera: 'bad code!', capturedAt: 1, seq: 1 }, JPEG))).toBeNull();
  });

  it('viewer and command messages are validated', () => {
    expect(parseViewerMessage('{"type":"subscribe","cameras":["c01","c01"]}')).toEqual({ ok: true, msg: { type: 'subscribe', cameras: ['c01'] } });
    expect(parseViewerMessage('{"type":"auth"}')).toMatchObject({ ok: false, code: 'bad_message' });
    expect(parseHubCommand('{"type":"start","camera":"c01","intervalMs":5}')).toMatchObject({ ok: false });
    expect(parseHubCommand('{"type":"start","camera":"c01","intervalMs":1000}')).toEqual({ ok: true, msg: { type: 'start', camera: 'c01', intervalMs: 1000 } });
  });
});

describe('Relay', () => {
  afterEach(() => vi.useRealTimers());

  it('one start for many viewers; stop only after the grace period of the last one', () => {
    vi.useFakeTimers();
    const a = agents();
    const r = new Relay({ commands: a, agentOf: () => 'agent-a', graceMs: 1000 });
    const v1 = sink(1);
    const v2 = sink(2);
    r.subscribe(v1, 'c01');
    r.subscribe(v2, 'c01');
    expect(a.sent).toEqual([['agent-a', { type: 'start', camera: 'c01', intervalMs: 1000 }]]);
    r.unsubscribe(v1, 'c01');
    r.unsubscribe(v2, 'c01');
    vi.advanceTimersByTime(900);
    r.subscribe(v1, 'c01'); // back within the grace period: nothing restarts
    vi.advanceTimersByTime(5000);
    expect(a.sent).toHaveLength(1);
    r.unsubscribe(v1, 'c01');
    vi.advanceTimersByTime(1001);
    expect(a.sent.at(-1)).toEqual(['agent-a', { type: 'stop', camera: 'c01' }]);
    r.close();
  });

  it('default grace, as the hub runs it: the upstream stops 10 s after the last viewer leaves, not 1 ms sooner', () => {
    vi.useFakeTimers();
    const a = agents();
    const r = new Relay({ commands: a, agentOf: () => 'agent-a' });
    const v = sink(1);
    r.subscribe(v, 'c01');
    r.unsubscribe(v, 'c01');
    vi.advanceTimersByTime(9_999);
    expect(a.sent.map(([, c]) => c.type)).toEqual(['start']);
    vi.advanceTimersByTime(1);
    expect(a.sent.at(-1)).toEqual(['agent-a', { type: 'stop', camera: 'c01' }]);
    r.close();
  });

  it('a frame is encoded once and skipped for a viewer whose buffer is full', () => {
    const r = new Relay({ commands: agents(), agentOf: () => 'agent-a', maxBufferedBytes: 100 });
    const fast = sink(1);
    const slow = sink(2, 101);
    r.subscribe(fast, 'c01');
    r.subscribe(slow, 'c01');
    expect(r.onFrame('agent-a', { camera: 'c01', capturedAt: 1, seq: 1 }, JPEG)).toBe(true);
    expect(r.onFrame('agent-b', { camera: 'c01', capturedAt: 1, seq: 2 }, JPEG)).toBe(false);
    const frames = (s: { got: (Buffer | string)[] }) => s.got.filter((x) => Buffer.isBuffer(x));
    expect(frames(fast)).toHaveLength(1);
    expect(frames(slow)).toHaveLength(0);
    expect(slow.framesSkipped).toBe(1);
    r.close();
  });

  it('no frame for staleAfterMs → stale (kept frame goes out flagged); agent away → agent_offline', () => {
    vi.useFakeTimers();
    const a = agents();
    let now = 0;
    const r = new Relay({ commands: a, agentOf: () => 'agent-a', staleAfterMs: 2000, now: () => now });
    const v = sink(1);
    r.subscribe(v, 'c01');
    r.onFrame('agent-a', { camera: 'c01', capturedAt: 0, seq: 1 }, JPEG);
    now = 2500;
    vi.advanceTimersByTime(2500);
    const states = () =>
      v.got
        .filter((x): x is string => typeof x === 'string')
        .map((x) => JSON.parse(x))
        .filter((m) => m.type === 'state');
    expect(states().map((m) => m.state)).toEqual(['live', 'stale']);
    const late = sink(2);
    r.subscribe(late, 'c01');
    expect(decodeFrame(late.got.find((x): x is Buffer => Buffer.isBuffer(x))!)!.header.stale).toBe(true);
    a.connected = false;
    r.onAgentDisconnected('agent-a');
    expect(states().at(-1)).toMatchObject({ state: 'agent_offline' });
    a.connected = true;
    r.onAgentConnected('agent-a');
    expect(a.sent.filter(([, c]) => c.type === 'start')).toHaveLength(2);
    r.close();
  });
});

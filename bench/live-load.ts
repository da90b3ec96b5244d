/**
 * Load side of bench/live.ts, in its own process so its CPU is not the hub's: N viewer
 * WebSockets on /api/live (bearer token), each subscribed to one of the given cameras, and a
 * fake edge agent on /api/agent/channel that answers the hub's start/stop commands with
 * JPEG-shaped frames of a fixed size at the asked interval, stamped with the capture time.
 *
 * argv: wsBase userToken agentToken viewers cameras(comma-separated) frameBytes
 * stdin, one command a line: agent | mark | end | report | close
 * stdout, one JSON event a line: {"ev":"viewers"…} {"ev":"agent"} {"ev":"marked"} {"ev":"ended"…} {"ev":"report"…}
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { encodeFrame, parseHubCommand } from '../src/protocol/live-messages.ts';

const [wsBase, userToken, agentToken, nArg, camArg, sizeArg] = process.argv.slice(2);
if (!wsBase || !userToken || !agentToken || !nArg || !camArg || !sizeArg) throw new Error('usage: live-load.ts wsBase userToken agentToken viewers cameras frameBytes');
const N = Number(nArg);
const CAMERAS = camArg.split(',');
const SIZE = Number(sizeArg);
const CONNECT_CONCURRENCY = 50;
// never outlive the bench, whatever happens to it
setTimeout(() => process.exit(3), 170_000).unref();
process.stdin.on('end', () => process.exit(0));

const emit = (ev: Record<string, unknown>) => process.stdout.write(JSON.stringify(ev) + '\n');

// ---- viewers
interface Viewer {
  ws: WebSocket;
  cam: number;
  frames: number;
}
const viewers: Viewer[] = [];
/** per received frame in the window: camera index, seq, now − capturedAt */
const got: { cam: number; seq: number; ms: number }[] = [];
let windowFrom: number[] | null = null; // seq per camera at "mark"
let staleFrames = 0;
let errors = 0;

function openViewer(i: number): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const cam = i % CAMERAS.length;
    const ws = new WebSocket(`${wsBase}/api/live`, { headers: { authorization: `Bearer ${userToken}` }, perMessageDeflate: false });
    const v: Viewer = { ws, cam, frames: 0 };
    const timer = setTimeout(() => reject(new Error(`viewer ${i}: not subscribed within 20 s`)), 20_000);
    ws.on('message', (data: Buffer, bin: boolean) => {
      if (bin) {
        const now = Date.now();
        const n = data.readUInt32BE(0);
        const h = JSON.parse(data.toString('utf8', 4, 4 + n)) as { camera: string; capturedAt: number; seq: number; stale?: boolean };
        v.frames++;
        if (h.stale) staleFrames++;
        else if (windowFrom && h.seq > windowFrom[cam]!) got.push({ cam, seq: h.seq, ms: now - h.capturedAt });
        return;
      }
      const m = JSON.parse(data.toString()) as { type: string; camera?: string };
      if (m.type === 'ready') ws.send(JSON.stringify({ type: 'subscribe', cameras: [CAMERAS[cam]] }));
      else if (m.type === 'subscribed') {
        clearTimeout(timer);
        resolve(v);
      } else if (m.type === 'error' || m.type === 'refused') {
        errors++;
        clearTimeout(timer);
        reject(new Error(`viewer ${i}: ${data.toString()}`));
      }
    });
    ws.on('error', (e) => {
      errors++;
      clearTimeout(timer);
      reject(e);
    });
  });
}

const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONNECT_CONCURRENCY }, async () => {
    while (next < N) viewers.push(await openViewer(next++));
  }),
);
emit({ ev: 'viewers', n: viewers.length, ms: Math.round(performance.now() - t0) });

// ---- fake agent
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), randomBytes(SIZE - 4), Buffer.from([0xff, 0xd9])]);
const seq = CAMERAS.map(() => 0);
const timers = new Map<string, NodeJS.Timeout>();
let agent = null as WebSocket | null;
let agentDropped = 0;

function startAgent(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/api/agent/channel`, { headers: { authorization: `Bearer ${agentToken}` }, perMessageDeflate: false });
    agent = ws;
    ws.on('message', (data: Buffer, bin: boolean) => {
      if (bin) return;
      const p = parseHubCommand(data.toString('utf8'));
      if (!p.ok) return void errors++;
      const cmd = p.msg;
      if (cmd.type === 'welcome') return resolve();
      const ci = CAMERAS.indexOf(cmd.camera);
      if (ci < 0) return;
      clearInterval(timers.get(cmd.camera));
      timers.delete(cmd.camera);
      if (cmd.type !== 'start') return;
      timers.set(
        cmd.camera,
        setInterval(() => {
          // like edge-agent/command-channel.ts: drop, do not queue, when the link is backed up
          if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 1024 * 1024) return void agentDropped++;
          ws.send(encodeFrame({ camera: cmd.camera, capturedAt: Date.now(), seq: ++seq[ci]! }, jpeg));
        }, cmd.intervalMs),
      );
    });
    ws.on('error', reject);
  });
}

// ---- commands from the bench
let windowTo: number[] | null = null;
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.trim();
  if (cmd === 'agent') {
    await startAgent();
    emit({ ev: 'agent' });
  } else if (cmd === 'mark') {
    windowFrom = [...seq];
    got.length = 0;
    emit({ ev: 'marked' });
  } else if (cmd === 'end') {
    windowTo = [...seq];
    emit({ ev: 'ended', sent: windowTo.reduce((a, s, i) => a + s - windowFrom![i]!, 0) });
  } else if (cmd === 'report') {
    const from = windowFrom!;
    const to = windowTo!;
    const perCam = CAMERAS.map((_, c) => viewers.filter((v) => v.cam === c).length);
    const expected = CAMERAS.reduce((a, _, c) => a + (to[c]! - from[c]!) * perCam[c]!, 0);
    const inWindow = got.filter((g) => g.seq <= to[g.cam]!).map((g) => g.ms);
    inWindow.sort((a, b) => a - b);
    const q = (p: number) => (inWindow.length ? inWindow[Math.min(inWindow.length - 1, Math.floor((p / 100) * inWindow.length))]! : NaN);
    emit({
      ev: 'report',
      framesSent: to.reduce((a, s, i) => a + s - from[i]!, 0),
      expected,
      delivered: inWindow.length,
      p50: q(50),
      p99: q(99),
      max: inWindow.at(-1) ?? NaN,
      staleFrames,
      errors,
      agentDropped,
      open: viewers.filter((v) => v.ws.readyState === WebSocket.OPEN).length,
    });
  } else if (cmd === 'close') {
    for (const t of timers.values()) clearInterval(t);
    for (const v of viewers) v.ws.terminate();
    agent?.terminate();
    emit({ ev: 'closed' });
    process.exit(0);
  }
}

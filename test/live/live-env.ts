/**
 * Test environment for the live view: a simulator fleet (real ONVIF + JPEG snapshots on
 * 127.4x.*), the tiny county re-pointed at that fleet, a hub listening on 127.0.0.1 with the
 * live view wired in, and helpers for agents and viewers over real WebSockets.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CommandChannel, assignmentLookup } from '../../edge-agent/command-channel.ts';
import { SnapshotSource } from '../../edge-agent/snapshots.ts';
import type { LiveOptions } from '../../src/hub/features/live.ts';
import type { HubOptions } from '../../src/hub/start-hub.ts';
import type { LiveParts } from '../../src/live/plugin.ts';
import { decodeFrame, type FrameHeader, type HubToViewer } from '../../src/protocol/live-messages.ts';
import { makeCameraSpecs, startFleet, type Fleet } from '../../src/simulator/index.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { AGENT_A, AGENT_B, USERS, writeTinyCounty } from '../support/tiny-county.ts';
import { login } from '../support/reports.ts';

export const CODES = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09', 'c10'];
const GRID = ['ga1', 'ga1', 'ga1', 'ga2', 'ga2', 'gb1', 'gb1', 'gb1', 'gb2', 'gb2'];
const SITE = ['s1', 's1', 's1', '', '', 's2', 's2', 's2', '', ''];

export interface LiveEnv {
  fleet: Fleet;
  t: TestHub;
  live: LiveParts;
  hubUrl: string;
  wsUrl: string;
  tokens: Record<keyof typeof USERS, string>;
  close(): Promise<void>;
}

/** Cameras c01..c10 at 35.90+0.001·i N, 116.40+0.001·i E (≈ 140 m apart), each at its own loopback address. */
export async function startLiveEnv(hostBase: string, opts: LiveOptions = {}, hubOpts: Partial<HubOptions> = {}): Promise<LiveEnv> {
  const specs = makeCameraSpecs(10, { seed: 7 }).map((s, i) => ({ ...s, code: CODES[i]!, siteId: SITE[i] || null }));
  const fleet = await startFleet({ cameras: specs, hostBase });
  const configDir = writeTinyCounty();
  const rows = fleet.endpoints().map((e, i) => {
    const path = new URL(e.rtspUrl).pathname;
    return `${e.code},Camera ${e.code},${GRID[i]},${SITE[i]},${(35.9 + i * 0.001).toFixed(4)},${(116.4 + i * 0.001).toFixed(4)},${e.host},${e.onvifPort},${e.onvifPath},${e.rtspPort},${path},hikvision,${e.username},${e.password},`;
  });
  writeFileSync(
    join(configDir, 'cameras.csv'),
    'code,name,grid,site,lat,lon,host,onvif_port,onvif_path,rtsp_port,rtsp_path,vendor,username,password,agent\n' + rows.join('\n') + '\n',
  );
  const t = await startTestHub('pglite', { configDir, live: opts, ...hubOpts });
  const live: LiveParts = t.hub.live;
  await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = t.hub.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  const hubUrl = `http://127.0.0.1:${addr.port}`;
  const tokens = {} as Record<keyof typeof USERS, string>;
  for (const k of Object.keys(USERS) as (keyof typeof USERS)[]) tokens[k] = await login(t.hub.app, USERS[k]);
  return {
    fleet,
    t,
    live,
    hubUrl,
    wsUrl: hubUrl.replace('http:', 'ws:') + '/api/live',
    tokens,
    async close() {
      await t.close();
      await fleet.close();
    },
  };
}

/** A real agent command channel (real SnapshotSource) for agent-a or agent-b. */
export function startAgentChannel(env: LiveEnv, which: 'a' | 'b' = 'a', source = new SnapshotSource({ timeoutMs: 2000 })): CommandChannel {
  const token = which === 'a' ? AGENT_A.token : AGENT_B.token;
  const ch = new CommandChannel({
    hubUrl: env.hubUrl,
    token,
    cameras: assignmentLookup({ hubUrl: env.hubUrl, token, cameras: null, hubTimeoutMs: 5000 }),
    source,
    backoff: { baseMs: 100, maxMs: 400 },
  });
  ch.start();
  return ch;
}

export interface TestViewer {
  ws: WebSocket;
  frames: FrameHeader[];
  frameBytes: number[];
  messages: HubToViewer[];
  send(msg: unknown): void;
  /** resolves with the first message (new or already received) matching `pred` */
  next<T extends HubToViewer>(pred: (m: HubToViewer) => m is T, timeoutMs?: number): Promise<T>;
  next(pred: (m: HubToViewer) => boolean, timeoutMs?: number): Promise<HubToViewer>;
  close(): Promise<void>;
}

/** A viewer socket; auth by header (default) or by first message. Resolves once open (and ready, with header auth). */
export async function openViewer(env: LiveEnv, token: string, how: 'header' | 'message' | 'none' = 'header'): Promise<TestViewer> {
  const ws = new WebSocket(env.wsUrl, how === 'header' ? { headers: { authorization: `Bearer ${token}` } } : {});
  const v: TestViewer = {
    ws,
    frames: [],
    frameBytes: [],
    messages: [],
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    next: (pred: (m: HubToViewer) => boolean, timeoutMs = 5000) =>
      new Promise<HubToViewer>((resolve, reject) => {
        const hit = v.messages.find(pred);
        if (hit) return resolve(hit);
        const timer = setTimeout(() => {
          ws.off('message', on);
          reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(v.messages).slice(0, 600)}`));
        }, timeoutMs);
        const on = (data: Buffer, bin: boolean) => {
          if (bin) return;
          const m = JSON.parse(data.toString()) as HubToViewer;
          if (pred(m)) {
            clearTimeout(timer);
            ws.off('message', on);
            resolve(m);
          }
        };
        ws.on('message', on);
      }) as never,
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.terminate();
      }),
  };
  ws.on('message', (data: Buffer, bin: boolean) => {
    if (bin) {
      const f = decodeFrame(data);
      if (!f) throw new Error('undecodable frame');
      v.frames.push(f.header);
      v.frameBytes.push(f.jpeg.length);
    } else v.messages.push(JSON.parse(data.toString()) as HubToViewer);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (how === 'message') v.send({ type: 'auth', token });
  if (how !== 'none') await v.next((m) => m.type === 'ready');
  return v;
}

export { sleep, until } from '../support/wait.ts';

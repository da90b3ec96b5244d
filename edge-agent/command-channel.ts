/**
 * The agent's command channel: a WebSocket the agent dials OUT to the hub
 * (`/api/agent/channel`, bearer token), reconnecting with back-off. Over it the hub starts and
 * stops snapshot streams; each stream grabs (./snapshots.ts) at the asked rate, one grab at a
 * time, and sends binary frames back. Streams stop when the link drops: the hub re-issues its
 * starts when the agent is back. A frame is dropped, not queued, when the link is backed up.
 * Beside an Agent (attachCommandChannel) the cameras come from the agent's assignment and the
 * snapshots from the agent's source, which shares the agent's per-camera login guard.
 */
import type { Agent } from 'node:https';
import WebSocket from 'ws';
import type { Logger } from '../src/log.ts';
import { createLogger } from '../src/log.ts';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { encodeFrame, parseHubCommand, type AgentToHub, type GrabFailure } from '../src/protocol/live-messages.ts';
import { CameraAssignment } from './assignment.ts';
import { Backoff } from './backoff.ts';
import type { AgentConfig } from './config.ts';
import { HubLink } from './hub-link.ts';
import { hubHttpsAgent, type HubTlsConfig } from './hub-tls.ts';
import { SnapshotSource, type SnapshotResult } from './snapshots.ts';

export interface CommandChannelOptions {
  hubUrl: string;
  token: string;
  /** what a wss:// hub must prove, as for the reports (./hub-tls.ts) */
  tls?: HubTlsConfig;
  /** the agent's cameras (with credentials); looked up by code when a start arrives */
  cameras: (code: string) => Promise<AgentCamera | null>;
  /** default: a SnapshotSource with a login guard of its own; beside an Agent, the agent's (guard shared with the ladder) */
  source?: { grab(cam: AgentCamera): Promise<SnapshotResult> };
  log?: Logger;
  maxStreams?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** no message or ping from the hub for this long: the link is dead, reconnect */
  idleMs?: number;
  /** frames are dropped while more than this is queued towards the hub */
  maxBufferedBytes?: number;
}

interface Stream {
  camera: string;
  intervalMs: number;
  active: boolean;
  seq: number;
  lastFailure: GrabFailure | null;
  wake: (() => void) | null;
}

export class CommandChannel {
  private ws: WebSocket | null = null;
  private readonly streams = new Map<string, Stream>();
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private readonly source: { grab(cam: AgentCamera): Promise<SnapshotResult> };
  private reconnectTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private authRefused = false;
  private tlsAgent: Agent | null = null;
  readonly counters = { connects: 0, framesSent: 0, framesDropped: 0, grabFailures: 0, badCommands: 0 };

  constructor(private readonly o: CommandChannelOptions) {
    this.log = o.log ?? createLogger('agent-live');
    this.backoff = new Backoff(o.backoff ?? { baseMs: 500, maxMs: 30_000 });
    this.source = o.source ?? new SnapshotSource();
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  get activeStreams(): string[] {
    return [...this.streams.keys()];
  }

  start(): void {
    this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.stopAll();
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000);
        ws.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        ws.close(1000, 'agent stopping');
      });
    }
    this.tlsAgent?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    const url = new URL('api/agent/channel', this.o.hubUrl.endsWith('/') ? this.o.hubUrl : this.o.hubUrl + '/');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.o.token}` },
      handshakeTimeout: 10_000,
      perMessageDeflate: false,
      // the same pins as the reports: the upgrade request (and its token) waits for the checked handshake
      ...(url.protocol === 'wss:' && this.o.tls ? { agent: (this.tlsAgent ??= hubHttpsAgent(this.o.tls, { handshakeTimeoutMs: 10_000, log: this.log })) } : {}),
    });
    this.ws = ws;
    ws.on('open', () => {
      this.counters.connects++;
      this.backoff.reset();
      if (this.authRefused) this.log.info('hub accepts the agent token again');
      this.authRefused = false;
      this.log.info({ hub: this.o.hubUrl }, 'command channel connected');
      this.touch();
    });
    ws.on('ping', () => this.touch());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.touch();
      if (isBinary) return;
      const p = parseHubCommand(data.toString('utf8'));
      if (!p.ok) {
        if (++this.counters.badCommands <= 10) this.log.warn({ error: p.message }, 'bad command from the hub');
        return;
      }
      const cmd = p.msg;
      if (cmd.type === 'start') this.startStream(cmd.camera, cmd.intervalMs);
      else if (cmd.type === 'stop') this.stopStream(cmd.camera);
    });
    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 401 || res.statusCode === 403) {
        if (!this.authRefused) this.log.error({ status: res.statusCode }, 'hub refused the agent token on the command channel; retrying slowly');
        this.authRefused = true;
      }
      ws.terminate();
    });
    ws.on('error', (err) => this.log.debug({ err }, 'command channel error'));
    ws.on('close', (code: number) => {
      if (this.ws === ws) this.ws = null;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.stopAll();
      if (this.closed) return;
      // 4000: another process with this agent's token took the channel over; do not fight it
      if (code === 4000) this.log.warn('another agent with the same token took the command channel over; retrying slowly');
      const delay = this.authRefused || code === 4000 ? 30_000 : this.backoff.next();
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
      this.reconnectTimer.unref();
    });
  }

  /** The hub pings every 15 s: silence past idleMs means the link is gone without a FIN. */
  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.ws?.terminate(), this.o.idleMs ?? 45_000);
    this.idleTimer.unref();
  }

  private startStream(camera: string, intervalMs: number): void {
    const s = this.streams.get(camera);
    if (s) {
      s.intervalMs = intervalMs;
      return;
    }
    if (this.streams.size >= (this.o.maxStreams ?? 64)) {
      this.report(camera, 'fail', `agent streams at most ${this.o.maxStreams ?? 64} cameras at once`);
      return;
    }
    const stream: Stream = { camera, intervalMs, active: true, seq: 0, lastFailure: null, wake: null };
    this.streams.set(camera, stream);
    void this.run(stream).catch((err: unknown) => this.log.error({ err, camera }, 'snapshot stream failed'));
  }

  private stopStream(camera: string): void {
    const s = this.streams.get(camera);
    if (!s) return;
    s.active = false;
    s.wake?.();
    this.streams.delete(camera);
  }

  private stopAll(): void {
    for (const c of [...this.streams.keys()]) this.stopStream(c);
  }

  /** Grab, send, wait for the next tick (start + n·interval); never two grabs at once. */
  private async run(s: Stream): Promise<void> {
    const cam = await this.o.cameras(s.camera).catch(() => null);
    if (!cam) {
      this.report(s.camera, 'unknown_camera', "camera not in this agent's assignment");
      this.stopStream(s.camera);
      return;
    }
    let next = Date.now();
    while (s.active) {
      const r = await this.source.grab(cam);
      if (!s.active) break;
      if (r.ok) {
        s.lastFailure = null;
        this.sendFrame(s, r.jpeg, r.capturedAt);
      } else {
        this.counters.grabFailures++;
        // tell the hub when the reason changes, not on every failed grab
        if (s.lastFailure !== r.reason) this.report(s.camera, r.reason, r.detail);
        s.lastFailure = r.reason;
      }
      next += s.intervalMs;
      const now = Date.now();
      if (next < now) next = now; // fell behind (slow camera): no burst to catch up
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          s.wake = null;
          resolve();
        }, next - now);
        s.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private sendFrame(s: Stream, jpeg: Buffer, capturedAt: number): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > (this.o.maxBufferedBytes ?? 1024 * 1024)) {
      this.counters.framesDropped++;
      return;
    }
    ws.send(encodeFrame({ camera: s.camera, capturedAt, seq: ++s.seq }, jpeg));
    this.counters.framesSent++;
  }

  private report(camera: string, reason: GrabFailure, detail: string): void {
    const ws = this.ws;
    if (ws?.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: 'grab_failed', camera, reason, detail, at: Date.now() } satisfies AgentToHub));
  }
}

/**
 * Camera lookup for a command channel without an Agent beside it (tests, tools): a
 * CameraAssignment of its own, fetched on demand; an unknown code refetches at most every
 * `minRefreshMs`. Beside an Agent the channel reads the agent's assignment instead.
 */
export function assignmentLookup(
  config: Pick<AgentConfig, 'hubUrl' | 'token' | 'cameras' | 'hubTimeoutMs' | 'hubTls'> & { camerasFile?: string | null },
  minRefreshMs = 5000,
): (code: string) => Promise<AgentCamera | null> {
  const camerasFile = config.camerasFile ?? null;
  const hub =
    config.cameras || camerasFile
      ? null
      : new HubLink({ hubUrl: config.hubUrl, token: config.token, timeoutMs: config.hubTimeoutMs, ...(config.hubTls ? { tls: config.hubTls } : {}) });
  const assignment = new CameraAssignment({ config: { cameras: config.cameras, camerasFile, assignmentPollMs: 30_000, dataDir: null }, hub, minRefreshMs });
  return (code) => assignment.lookup(code);
}

/**
 * Run a command channel beside an Agent for its lifetime (one line in Agent.start()): same hub
 * and token, cameras from the agent's assignment, snapshots from the agent's source (its login
 * guard); stopped by agent.stop().
 */
export function attachCommandChannel(
  agent: { config: AgentConfig; snapshots: { grab(cam: AgentCamera): Promise<SnapshotResult> }; stop(): Promise<void> },
  assignment: Pick<CameraAssignment, 'lookup'>,
  log?: Logger,
): CommandChannel {
  const ch = new CommandChannel({
    hubUrl: agent.config.hubUrl,
    token: agent.config.token,
    ...(agent.config.hubTls ? { tls: agent.config.hubTls } : {}),
    cameras: (code) => assignment.lookup(code),
    source: agent.snapshots,
    ...(log ? { log } : {}),
  });
  const stop = agent.stop.bind(agent);
  agent.stop = async () => {
    await ch.close();
    await stop();
  };
  ch.start();
  return ch;
}

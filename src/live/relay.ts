/**
 * The fan-out: one upstream snapshot stream per camera, whatever the number of viewers.
 * The stream starts with the first viewer and stops `graceMs` after the last one leaves.
 * Each frame is encoded once and sent to every viewer whose socket has room
 * (bufferedAmount under a cap); a slow viewer skips frames and never delays the others.
 * A stream with no new frame for `staleAfterMs` turns stale; its last good frame is kept
 * (also after the stream stops, bounded) and sent to new viewers marked stale.
 */
import { encodeFrame, type FrameHeader, type HubToAgent, type HubToViewer, type LiveState } from '../protocol/live-messages.ts';

export interface ViewerSink {
  readonly id: number;
  send(data: Buffer | string): void;
  /** bytes queued and not yet written to the network */
  bufferedAmount(): number;
  isOpen(): boolean;
  framesSent: number;
  framesSkipped: number;
}

export interface AgentCommands {
  isConnected(agentId: string): boolean;
  send(agentId: string, cmd: HubToAgent): boolean;
}

export interface RelayOptions {
  commands: AgentCommands;
  agentOf(camera: string): string | null;
  intervalMs?: number;
  graceMs?: number;
  staleAfterMs?: number;
  /** a viewer with more than this queued skips the frame */
  maxBufferedBytes?: number;
  /** last frames kept for cameras without a stream */
  keepLastFrames?: number;
  now?: () => number;
}

interface Kept {
  header: FrameHeader;
  jpeg: Buffer;
  receivedAt: number;
}

interface Stream {
  camera: string;
  agentId: string | null;
  viewers: Set<ViewerSink>;
  state: LiveState;
  reason: string | null;
  startedAt: number;
  lastFrameAt: number | null;
  stopTimer: NodeJS.Timeout | null;
  /** bumps with every frame: a slice of an older frame still being sent stops */
  frameGen?: number;
}

/** viewers sent to per event-loop turn */
const FANOUT_SLICE = 100;

export class Relay {
  readonly intervalMs: number;
  readonly staleAfterMs: number;
  private readonly graceMs: number;
  private readonly maxBuffered: number;
  private readonly keep: number;
  private readonly now: () => number;
  private readonly streams = new Map<string, Stream>();
  private readonly lastFrames = new Map<string, Kept>();
  private readonly ticker: NodeJS.Timeout;
  readonly counters = { framesIn: 0, framesOut: 0, framesSkipped: 0, framesDropped: 0, startsSent: 0, stopsSent: 0 };

  constructor(private readonly opts: RelayOptions) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.graceMs = opts.graceMs ?? 10_000;
    this.staleAfterMs = opts.staleAfterMs ?? Math.max(3000, 3 * this.intervalMs);
    this.maxBuffered = opts.maxBufferedBytes ?? 256 * 1024;
    this.keep = opts.keepLastFrames ?? 2000;
    this.now = opts.now ?? Date.now;
    this.ticker = setInterval(() => this.checkStale(), Math.min(500, this.staleAfterMs / 2));
    this.ticker.unref();
  }

  /** Add a viewer to a camera's stream (the caller checked scope). Sends the kept frame, if any. */
  subscribe(viewer: ViewerSink, camera: string): void {
    let s = this.streams.get(camera);
    if (!s) {
      const agentId = this.opts.agentOf(camera);
      s = { camera, agentId, viewers: new Set(), state: 'waiting', reason: null, startedAt: this.now(), lastFrameAt: null, stopTimer: null };
      this.streams.set(camera, s);
      const kept = this.lastFrames.get(camera);
      if (kept) s.lastFrameAt = kept.receivedAt;
      this.requestStart(s);
    }
    if (s.stopTimer) {
      clearTimeout(s.stopTimer);
      s.stopTimer = null;
    }
    s.viewers.add(viewer);
    const kept = this.lastFrames.get(camera);
    send(viewer, { type: 'subscribed', camera, state: s.state, lastFrameAt: s.lastFrameAt });
    if (kept && viewer.isOpen()) {
      const fresh = s.state === 'live' && this.now() - kept.receivedAt < this.staleAfterMs;
      viewer.send(encodeFrame(fresh ? kept.header : { ...kept.header, stale: true }, kept.jpeg));
      viewer.framesSent++;
    }
  }

  unsubscribe(viewer: ViewerSink, camera: string): void {
    const s = this.streams.get(camera);
    if (!s?.viewers.delete(viewer)) return;
    if (s.viewers.size === 0 && !s.stopTimer) {
      s.stopTimer = setTimeout(() => this.stopStream(s), this.graceMs);
      s.stopTimer.unref();
    }
  }

  /** The last frame kept for a camera (offline cameras keep theirs), or null. */
  lastFrame(camera: string): { jpeg: Buffer; capturedAt: number; receivedAt: number } | null {
    const k = this.lastFrames.get(camera);
    return k ? { jpeg: k.jpeg, capturedAt: k.header.capturedAt, receivedAt: k.receivedAt } : null;
  }

  /** A frame from an agent. Refused (false) unless that agent serves a running stream of the camera. */
  onFrame(agentId: string, header: FrameHeader, jpeg: Buffer): boolean {
    const s = this.streams.get(header.camera);
    if (!s || s.agentId !== agentId) {
      this.counters.framesDropped++;
      return false;
    }
    this.counters.framesIn++;
    const now = this.now();
    s.lastFrameAt = now;
    const kept: Kept = { header: { camera: header.camera, capturedAt: header.capturedAt, seq: header.seq }, jpeg, receivedAt: now };
    this.lastFrames.delete(header.camera);
    this.lastFrames.set(header.camera, kept);
    if (s.state !== 'live') this.setState(s, 'live', null);
    const wire = encodeFrame(kept.header, jpeg);
    // fan out in slices: each send copies the frame into a socket (≈ 30–50 µs of kernel time),
    // so 1,000 viewers in one go would hold the event loop for ~40 ms; between slices the hub
    // serves its other requests. A newer frame of the camera supersedes the rest of this one.
    const gen = (s.frameGen = (s.frameGen ?? 0) + 1);
    const viewers = [...s.viewers];
    const sendSlice = (from: number): void => {
      if (s.frameGen !== gen) return;
      const to = Math.min(viewers.length, from + FANOUT_SLICE);
      for (let i = from; i < to; i++) this.deliver(viewers[i]!, wire);
      if (to < viewers.length) setImmediate(sendSlice, to);
    };
    sendSlice(0);
    return true;
  }

  private deliver(v: ViewerSink, wire: Buffer): void {
    if (!v.isOpen()) return;
    if (v.bufferedAmount() > this.maxBuffered) {
      v.framesSkipped++;
      this.counters.framesSkipped++;
      return;
    }
    v.send(wire);
    v.framesSent++;
    this.counters.framesOut++;
  }

  onGrabFailed(agentId: string, camera: string, reason: string): void {
    const s = this.streams.get(camera);
    if (!s || s.agentId !== agentId) return;
    s.reason = reason;
  }

  onAgentConnected(agentId: string): void {
    for (const s of this.streams.values()) if (s.agentId === agentId && s.viewers.size > 0) this.requestStart(s);
  }

  onAgentDisconnected(agentId: string): void {
    for (const s of this.streams.values()) if (s.agentId === agentId) this.setState(s, 'agent_offline', "the camera's edge agent is not connected");
  }

  stats() {
    let viewers = 0;
    for (const s of this.streams.values()) viewers += s.viewers.size;
    return { streams: this.streams.size, subscriptions: viewers, keptFrames: this.lastFrames.size, ...this.counters };
  }

  streamState(camera: string): { state: LiveState; viewers: number; lastFrameAt: number | null } | null {
    const s = this.streams.get(camera);
    return s ? { state: s.state, viewers: s.viewers.size, lastFrameAt: s.lastFrameAt } : null;
  }

  close(): void {
    clearInterval(this.ticker);
    for (const s of this.streams.values()) if (s.stopTimer) clearTimeout(s.stopTimer);
    this.streams.clear();
  }

  private requestStart(s: Stream): void {
    if (s.agentId === null) return this.setState(s, 'no_agent', 'no edge agent is assigned to this camera');
    if (!this.opts.commands.isConnected(s.agentId)) return this.setState(s, 'agent_offline', "the camera's edge agent is not connected");
    this.opts.commands.send(s.agentId, { type: 'start', camera: s.camera, intervalMs: this.intervalMs });
    this.counters.startsSent++;
    s.startedAt = this.now();
    if (s.state === 'agent_offline' || s.state === 'no_agent') this.setState(s, 'waiting', null);
  }

  private stopStream(s: Stream): void {
    if (this.streams.get(s.camera) !== s || s.viewers.size > 0) return;
    this.streams.delete(s.camera);
    if (s.agentId !== null && this.opts.commands.isConnected(s.agentId)) {
      this.opts.commands.send(s.agentId, { type: 'stop', camera: s.camera });
      this.counters.stopsSent++;
    }
    // bound the kept frames (oldest first; Map keeps insertion order)
    while (this.lastFrames.size > this.keep) {
      const oldest = this.lastFrames.keys().next().value as string;
      this.lastFrames.delete(oldest);
    }
  }

  private checkStale(): void {
    const now = this.now();
    for (const s of this.streams.values()) {
      if (s.state !== 'live' && s.state !== 'waiting') continue;
      const since = s.state === 'live' ? (s.lastFrameAt ?? s.startedAt) : s.startedAt;
      if (now - since > this.staleAfterMs) this.setState(s, 'stale', s.reason ?? `no new frame for ${Math.round((now - since) / 1000)} s`);
    }
  }

  private setState(s: Stream, state: LiveState, reason: string | null): void {
    if (s.state === state && s.reason === reason) return;
    s.state = state;
    if (state === 'live') s.reason = null;
    else if (reason !== null) s.reason = reason;
    const msg: HubToViewer = { type: 'state', camera: s.camera, state, reason: state === 'live' ? null : s.reason, lastFrameAt: s.lastFrameAt };
    for (const v of s.viewers) send(v, msg);
  }
}

function send(v: ViewerSink, msg: HubToViewer): void {
  if (v.isOpen()) v.send(JSON.stringify(msg));
}

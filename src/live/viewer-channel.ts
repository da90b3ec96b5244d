/**
 * Grid workers' live endpoint: `GET /api/live` upgraded to a WebSocket.
 * Authentication: `Authorization: Bearer <token>` on the upgrade (scripts), or a first
 * message {"type":"auth","token":…} within `authTimeoutMs` (browsers cannot set headers).
 * Then {"type":"subscribe","cameras":[…]} / "unsubscribe". Each camera is checked against
 * the user's scope (CountyView.camera returns null outside it): refused with a reason.
 * Bad messages get {"type":"error","code":…,"message":…}; the socket stays open.
 * Size: a frame over 4 KB before authentication closes the socket with 1009 at the frame's
 * header, before its payload is read (after: over 64 KB; 4–64 KB is answered with an error).
 * The socket belongs to its session (AuthService.channels): logout or expiry closes it with
 * 4401, and a user's sockets beyond the cap are refused with 4429. Sockets not yet
 * authenticated are capped per client address (`maxPendingPerAddress`, 16): one more is closed
 * with 4429 at once, so one address cannot hold thousands of sockets open for the auth timeout.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { bearer } from '../http/auth-hooks.ts';
import type { Logger } from '../log.ts';
import { LIVE_LIMITS, parseViewerMessage, type HubToViewer } from '../protocol/live-messages.ts';
import type { AuthService } from '../services/auth.ts';
import type { CountyView } from '../services/county-view.ts';
import { Scope } from '../services/scope.ts';
import type { Relay, ViewerSink } from './relay.ts';

const MAX_TEXT = 4096;
/** the largest frame read at all, before and after authentication (the server's own limit is sized for agents' frames) */
const MAX_FRAME_BEFORE_AUTH = MAX_TEXT;
const MAX_FRAME_AFTER_AUTH = 64 * 1024;
/** more messages than this per 10 s and the viewer gets errors instead of answers */
const MAX_MESSAGES_PER_10S = 100;

export interface ViewerChannelOptions {
  auth: AuthService;
  view: CountyView;
  relay: Relay;
  log: Logger;
  authTimeoutMs?: number;
  pingMs?: number;
  /** sockets not yet authenticated per client address (default 16) */
  maxPendingPerAddress?: number;
}

class WsViewer implements ViewerSink {
  framesSent = 0;
  framesSkipped = 0;
  alive = true;
  constructor(
    readonly id: number,
    readonly ws: WebSocket,
  ) {}
  send(data: Buffer | string): void {
    this.ws.send(data);
  }
  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
  isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }
}

export class ViewerChannels {
  private nextId = 1;
  private readonly viewers = new Set<WsViewer>();
  /** sockets not yet authenticated, per client address */
  private readonly pending = new Map<string, number>();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly o: ViewerChannelOptions) {
    this.pinger = setInterval(() => {
      for (const v of this.viewers) {
        if (!v.alive) v.ws.terminate();
        else {
          v.alive = false;
          v.ws.ping();
        }
      }
    }, o.pingMs ?? 30_000);
    this.pinger.unref();
  }

  get count(): number {
    return this.viewers.size;
  }

  /** per-viewer counters, for tests and the bench */
  viewerStats(): { id: number; framesSent: number; framesSkipped: number; bufferedAmount: number }[] {
    return [...this.viewers].map((v) => ({ id: v.id, framesSent: v.framesSent, framesSkipped: v.framesSkipped, bufferedAmount: v.bufferedAmount() }));
  }

  routes() {
    return async (app: FastifyInstance): Promise<void> => {
      app.get('/api/live', { websocket: true, schema: { hide: true } }, (ws: WebSocket, req: FastifyRequest) => this.accept(ws, bearer(req), req.ip));
    };
  }

  close(): void {
    clearInterval(this.pinger);
    for (const v of this.viewers) v.ws.close(1001, 'hub shutting down');
  }

  /** count one more unauthenticated socket from `address`; false (and nothing counted) beyond the cap */
  private holdPending(address: string): boolean {
    const n = this.pending.get(address) ?? 0;
    if (n >= (this.o.maxPendingPerAddress ?? 16)) return false;
    this.pending.set(address, n + 1);
    return true;
  }

  private releasePending(address: string): void {
    const n = (this.pending.get(address) ?? 1) - 1;
    if (n <= 0) this.pending.delete(address);
    else this.pending.set(address, n);
  }

  private accept(ws: WebSocket, headerToken: string | null, address: string): void {
    const { auth, view, relay } = this.o;
    if (!this.holdPending(address)) {
      ws.close(4429, 'too many unauthenticated sockets from this address');
      setTimeout(() => ws.readyState !== ws.CLOSED && ws.terminate(), 1000).unref();
      return;
    }
    let pendingHeld = true;
    const stopPending = () => {
      if (pendingHeld) this.releasePending(address);
      pendingHeld = false;
    };
    const viewer = new WsViewer(this.nextId++, ws);
    const subs = new Set<string>();
    let scope: Scope | null = null;
    let authPending = false;
    let release: (() => void) | null = null;
    let window = { start: Date.now(), n: 0 };
    limitFrames(ws, MAX_FRAME_BEFORE_AUTH);
    const reply = (m: HubToViewer) => viewer.isOpen() && ws.send(JSON.stringify(m));
    const closeWith = (code: number, reason: string) => {
      ws.close(code, reason);
      // a peer that never answers the close handshake is cut off
      setTimeout(() => ws.readyState !== ws.CLOSED && ws.terminate(), 1000).unref();
    };
    const fail = (message: string) => {
      reply({ type: 'error', code: 'unauthorized', message });
      closeWith(4401, 'unauthorized');
    };
    const authenticate = async (token: string): Promise<void> => {
      authPending = true;
      const session = await auth.session(token).catch(() => null);
      authPending = false;
      if (!session) return fail('invalid or expired token (POST /api/auth/login)');
      if (ws.readyState !== ws.OPEN) return;
      const attached = auth.channels.attach('live_socket', session, (reason) => {
        release = null;
        reply({ type: 'error', code: 'unauthorized', message: `session ended (${reason}); log in again` });
        closeWith(4401, `session ended: ${reason}`);
      });
      clearTimeout(authTimer);
      if (!attached.ok) {
        reply({ type: 'error', code: 'too_many_channels', message: attached.message });
        return closeWith(4429, 'too many live sockets for this user');
      }
      release = attached.release;
      stopPending();
      const user = session.user;
      scope = new Scope(user);
      limitFrames(ws, MAX_FRAME_AFTER_AUTH);
      this.viewers.add(viewer);
      reply({ type: 'ready', user: user.username, role: user.role, maxSubscriptions: LIVE_LIMITS.maxSubscriptions, intervalMs: relay.intervalMs });
    };
    const authTimer = setTimeout(() => scope === null && fail('no auth message within the time allowed'), this.o.authTimeoutMs ?? 5000);
    authTimer.unref();

    ws.on('pong', () => (viewer.alive = true));
    ws.on('close', () => {
      clearTimeout(authTimer);
      stopPending();
      release?.();
      this.viewers.delete(viewer);
      for (const c of subs) relay.unsubscribe(viewer, c);
      subs.clear();
    });
    ws.on('error', (err) => this.o.log.debug({ err }, 'viewer socket error'));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      viewer.alive = true;
      const now = Date.now();
      if (now - window.start > 10_000) window = { start: now, n: 0 };
      if (++window.n > MAX_MESSAGES_PER_10S)
        return void (
          window.n === MAX_MESSAGES_PER_10S + 1 && reply({ type: 'error', code: 'bad_message', message: `more than ${MAX_MESSAGES_PER_10S} messages in 10 s: slow down` })
        );
      if (isBinary || data.length > MAX_TEXT) return reply({ type: 'error', code: 'bad_message', message: `send JSON text messages of at most ${MAX_TEXT} bytes` });
      const p = parseViewerMessage(data.toString('utf8'));
      if (!p.ok) return reply({ type: 'error', code: p.code, message: p.message });
      const msg = p.msg;
      if (msg.type === 'auth') {
        if (scope !== null || authPending) return reply({ type: 'error', code: 'bad_message', message: 'already authenticated' });
        return void authenticate(msg.token);
      }
      if (scope === null) return reply({ type: 'error', code: 'not_authenticated', message: 'send {"type":"auth","token":…} first' });
      if (msg.type === 'unsubscribe') {
        for (const c of msg.cameras) {
          if (subs.delete(c)) relay.unsubscribe(viewer, c);
          reply({ type: 'unsubscribed', camera: c });
        }
        return;
      }
      for (const c of msg.cameras) {
        if (subs.has(c)) continue;
        if (!view.camera(scope, c)) {
          reply({ type: 'refused', camera: c, reason: `camera ${c} is not in your scope (or does not exist)` });
          continue;
        }
        if (subs.size >= LIVE_LIMITS.maxSubscriptions) {
          reply({ type: 'refused', camera: c, reason: `at most ${LIVE_LIMITS.maxSubscriptions} cameras at once; unsubscribe one first` });
          continue;
        }
        subs.add(c);
        relay.subscribe(viewer, c);
      }
    });
    if (headerToken) void authenticate(headerToken);
  }
}

/**
 * Cap the frames one socket reads. ws keeps one maxPayload per server (ours is sized for the
 * agents' 2 MB frames) and checks it per frame against its receiver's `_maxPayload` as soon as
 * the frame's length is read — a frame over the cap closes the socket with 1009 before its
 * payload is buffered. ws has no public per-socket setter; should the field ever go away,
 * the message handler's MAX_TEXT check still refuses (after buffering).
 */
function limitFrames(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

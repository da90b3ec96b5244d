/**
 * The long-lived channels open under each session — ticket streams (SSE) and live sockets
 * (WebSocket): counted per user against a cap, and closed when their session ends (logout,
 * expiry, a password changed in users.yaml). Expiry is swept every `sweepMs` while any channel
 * is open, so a channel outlives its session by at most that (default 250 ms).
 */

export type ChannelKind = 'ticket_stream' | 'live_socket';

export interface ChannelCaps {
  /** open ticket streams (GET /api/tickets/stream) per user */
  ticketStreamsPerUser: number;
  /** open live sockets (/api/live, authenticated) per user */
  liveSocketsPerUser: number;
}

export const DEFAULT_CHANNEL_CAPS: ChannelCaps = { ticketStreamsPerUser: 8, liveSocketsPerUser: 8 };

export interface ChannelSession {
  tokenHash: string;
  username: string;
  expiresAt: number;
}

interface Channel extends ChannelSession {
  kind: ChannelKind;
  close(reason: string): void;
}

export type Attached = { ok: true; release(): void } | { ok: false; message: string };

const NOUN: Record<ChannelKind, string> = { ticket_stream: 'ticket streams', live_socket: 'live sockets' };

export class SessionChannels {
  private readonly byUser = new Map<string, Set<Channel>>();
  private sweeper: NodeJS.Timeout | null = null;
  readonly caps: ChannelCaps;

  constructor(
    private readonly now: () => number,
    caps: Partial<ChannelCaps> = {},
    private readonly sweepMs = 250,
  ) {
    this.caps = { ...DEFAULT_CHANNEL_CAPS, ...caps };
  }

  /**
   * Register a channel of a session. Refused (with a message saying the cap) when the user
   * already has `cap` channels of this kind open. `close` is called at most once, after the
   * channel left the registry; `release` (the channel closed by itself) is idempotent.
   */
  attach(kind: ChannelKind, session: ChannelSession, close: (reason: string) => void): Attached {
    const cap = kind === 'ticket_stream' ? this.caps.ticketStreamsPerUser : this.caps.liveSocketsPerUser;
    let mine = this.byUser.get(session.username);
    let open = 0;
    for (const c of mine ?? []) if (c.kind === kind) open++;
    if (open >= cap) return { ok: false, message: `at most ${cap} open ${NOUN[kind]} per user; close one first` };
    const ch: Channel = { ...session, kind, close };
    if (!mine) this.byUser.set(session.username, (mine = new Set()));
    mine.add(ch);
    this.startSweep();
    return { ok: true, release: () => this.remove(ch) };
  }

  /** open channels of a user (all kinds, or one) */
  count(username: string, kind?: ChannelKind): number {
    let n = 0;
    for (const c of this.byUser.get(username) ?? []) if (!kind || c.kind === kind) n++;
    return n;
  }

  /** Close every channel of one session (logout). */
  revokeSession(tokenHash: string, reason: string): number {
    return this.closeWhere((c) => c.tokenHash === tokenHash, reason);
  }

  /** Close every channel of a user, whatever the session (password changed, user removed). */
  revokeUser(username: string, reason: string): number {
    return this.closeWhere((c) => c.username === username, reason);
  }

  /** Stop the expiry sweep (hub stopping: the channels' owners close the channels themselves). */
  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private sweep(): void {
    const now = this.now();
    this.closeWhere((c) => c.expiresAt <= now, 'session expired');
  }

  private closeWhere(pred: (c: Channel) => boolean, reason: string): number {
    const hit: Channel[] = [];
    for (const set of this.byUser.values()) for (const c of set) if (pred(c)) hit.push(c);
    for (const c of hit) {
      this.remove(c);
      c.close(reason);
    }
    return hit.length;
  }

  private remove(c: Channel): void {
    const set = this.byUser.get(c.username);
    if (!set?.delete(c)) return;
    if (set.size === 0) this.byUser.delete(c.username);
    if (this.byUser.size === 0) this.stop();
  }

  private startSweep(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
    this.sweeper.unref();
  }
}

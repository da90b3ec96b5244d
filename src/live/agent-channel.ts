/**
 * The agents' command channel: `GET /api/agent/channel` upgraded to a WebSocket, agent bearer
 * token checked before the upgrade. One connection per agent (a new one replaces the old).
 * The hub sends start/stop commands; the agent sends binary frames and grab failures.
 * Pings every `pingMs`; an agent silent for two pings is cut off (and its viewers told).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { requireAgent } from '../http/auth-hooks.ts';
import type { Logger } from '../log.ts';
import { decodeFrame, parseAgentMessage, LIVE_LIMITS, type HubToAgent } from '../protocol/live-messages.ts';
import type { AuthService } from '../services/auth.ts';
import type { AgentCommands, Relay } from './relay.ts';

interface Conn {
  ws: WebSocket;
  alive: boolean;
}

export class AgentChannels implements AgentCommands {
  private readonly conns = new Map<string, Conn>();
  private relay: Relay | null = null;
  private pinger: NodeJS.Timeout | null = null;
  readonly counters = { connects: 0, badMessages: 0, refusedFrames: 0 };

  constructor(
    private readonly log: Logger,
    private readonly pingMs = 15_000,
  ) {}

  attach(relay: Relay): void {
    this.relay = relay;
    this.pinger = setInterval(() => this.ping(), this.pingMs);
    this.pinger.unref();
  }

  isConnected(agentId: string): boolean {
    return this.conns.has(agentId);
  }

  connected(): string[] {
    return [...this.conns.keys()];
  }

  send(agentId: string, cmd: HubToAgent): boolean {
    const c = this.conns.get(agentId);
    if (!c || c.ws.readyState !== c.ws.OPEN) return false;
    c.ws.send(JSON.stringify(cmd));
    return true;
  }

  routes(auth: AuthService) {
    return async (app: FastifyInstance): Promise<void> => {
      app.get('/api/agent/channel', { websocket: true, preValidation: requireAgent(auth), schema: { hide: true } }, (ws: WebSocket, req: FastifyRequest) =>
        this.accept(req.agentId, ws),
      );
    };
  }

  private accept(agentId: string, ws: WebSocket): void {
    const relay = this.relay;
    if (!relay) {
      ws.close(1013, 'live relay not ready');
      return;
    }
    const prev = this.conns.get(agentId);
    const conn: Conn = { ws, alive: true };
    this.conns.set(agentId, conn);
    if (prev) prev.ws.close(4000, 'replaced by a newer connection of the same agent');
    this.counters.connects++;
    this.log.info({ agent: agentId }, 'agent command channel connected');
    ws.on('pong', () => (conn.alive = true));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      conn.alive = true;
      if (isBinary) {
        const f = decodeFrame(data);
        if (!f || f.jpeg.length > LIVE_LIMITS.maxFrameBytes || !relay.onFrame(agentId, f.header, f.jpeg)) this.counters.refusedFrames++;
        return;
      }
      const p = parseAgentMessage(data.toString('utf8'));
      if (!p.ok) {
        if (++this.counters.badMessages <= 10) this.log.warn({ agent: agentId, error: p.message }, 'bad message on agent channel');
        return;
      }
      relay.onGrabFailed(agentId, p.msg.camera, `${p.msg.reason}: ${p.msg.detail}`);
    });
    ws.on('error', (err) => this.log.warn({ agent: agentId, err }, 'agent channel error'));
    ws.on('close', (code) => {
      if (this.conns.get(agentId) !== conn) return; // replaced
      this.conns.delete(agentId);
      this.log.info({ agent: agentId, code }, 'agent command channel closed');
      relay.onAgentDisconnected(agentId);
    });
    ws.send(JSON.stringify({ type: 'welcome', agent: agentId } satisfies HubToAgent));
    relay.onAgentConnected(agentId);
  }

  private ping(): void {
    for (const c of this.conns.values()) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  close(): void {
    if (this.pinger) clearInterval(this.pinger);
    for (const c of this.conns.values()) c.ws.close(1001, 'hub shutting down');
    this.conns.clear();
  }
}

/** The live view as one Fastify plugin: WebSocket support, agent channel, viewer channel, REST. */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { liveRoutes } from '../http/routes/live.ts';
import { LIVE_LIMITS } from '../protocol/live-messages.ts';
import type { AuthService } from '../services/auth.ts';
import type { CountyView } from '../services/county-view.ts';
import type { AgentChannels } from './agent-channel.ts';
import type { Relay } from './relay.ts';
import type { ViewerChannels } from './viewer-channel.ts';

export interface LiveParts {
  auth: AuthService;
  view: CountyView;
  relay: Relay;
  agents: AgentChannels;
  viewers: ViewerChannels;
}

export function livePlugin(p: LiveParts) {
  return async (app: FastifyInstance): Promise<void> => {
    // one WebSocketServer for both endpoints: sized for agent frames; viewers' text is capped in viewer-channel.ts
    await app.register(websocket, { options: { maxPayload: LIVE_LIMITS.maxFrameBytes + LIVE_LIMITS.maxHeaderBytes + 4, perMessageDeflate: false } });
    await app.register(p.agents.routes(p.auth));
    await app.register(p.viewers.routes());
    await app.register(liveRoutes({ auth: p.auth, view: p.view, relay: p.relay }));
  };
}

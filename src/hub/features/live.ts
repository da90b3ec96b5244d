/** Live snapshots: the agents' command channels, the relay (one upstream pull per camera), the viewers. */
import { AgentChannels } from '../../live/agent-channel.ts';
import { type LiveParts, livePlugin } from '../../live/plugin.ts';
import { Relay, type RelayOptions } from '../../live/relay.ts';
import { ViewerChannels } from '../../live/viewer-channel.ts';
import type { Logger } from '../../log.ts';
import type { AuthService } from '../../services/auth.ts';
import type { CountyView } from '../../services/county-view.ts';
import type { HubFeature } from '../feature.ts';

export interface LiveOptions extends Pick<RelayOptions, 'intervalMs' | 'graceMs' | 'staleAfterMs' | 'maxBufferedBytes' | 'keepLastFrames'> {
  agentPingMs?: number;
  viewerPingMs?: number;
  authTimeoutMs?: number;
}

export function liveFeature(deps: { auth: AuthService; view: CountyView; logger: Logger }, opts: LiveOptions = {}): HubFeature & { parts: LiveParts } {
  const log = deps.logger.child({ component: 'live' });
  const agents = new AgentChannels(log, opts.agentPingMs);
  const relay = new Relay({ ...opts, commands: agents, agentOf: (code) => deps.view.cameraInfo.get(code)?.agentId ?? null });
  agents.attach(relay);
  const viewers = new ViewerChannels({
    auth: deps.auth,
    view: deps.view,
    relay,
    log,
    ...(opts.authTimeoutMs ? { authTimeoutMs: opts.authTimeoutMs } : {}),
    ...(opts.viewerPingMs ? { pingMs: opts.viewerPingMs } : {}),
  });
  const parts: LiveParts = { auth: deps.auth, view: deps.view, relay, agents, viewers };
  return {
    name: 'live',
    parts,
    routes: livePlugin(parts),
    metrics: { viewers: () => viewers.count },
    async stop() {
      viewers.close();
      agents.close();
      relay.close();
    },
  };
}

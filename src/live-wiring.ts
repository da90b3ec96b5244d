/**
 * Wire the live view into a hub: startHub calls `wireLive(core, deps)` before the app is
 * built; app.ts registers `deps.live`. Returns the parts (the hub exposes them as `hub.live`).
 */
import type { HubCore } from './hub.ts';
import type { HubDeps } from './http/deps.ts';
import { AgentChannels } from './live/agent-channel.ts';
import { livePlugin, type LiveParts } from './live/plugin.ts';
import { Relay, type RelayOptions } from './live/relay.ts';
import { ViewerChannels } from './live/viewer-channel.ts';

export interface LiveOptions extends Pick<RelayOptions, 'intervalMs' | 'graceMs' | 'staleAfterMs' | 'maxBufferedBytes' | 'keepLastFrames'> {
  agentPingMs?: number;
  viewerPingMs?: number;
  authTimeoutMs?: number;
}

export function wireLive(core: Pick<HubCore, 'auth' | 'view' | 'logger'>, deps: HubDeps, opts: LiveOptions = {}): LiveParts {
  const log = core.logger.child({ component: 'live' });
  const agents = new AgentChannels(log, opts.agentPingMs);
  const relay = new Relay({ ...opts, commands: agents, agentOf: (code) => core.view.cameraInfo.get(code)?.agentId ?? null });
  agents.attach(relay);
  const viewers = new ViewerChannels({
    auth: core.auth,
    view: core.view,
    relay,
    log,
    ...(opts.authTimeoutMs ? { authTimeoutMs: opts.authTimeoutMs } : {}),
    ...(opts.viewerPingMs ? { pingMs: opts.viewerPingMs } : {}),
  });
  const parts: LiveParts = {
    auth: core.auth,
    view: core.view,
    relay,
    agents,
    viewers,
    close() {
      viewers.close();
      agents.close();
      relay.close();
    },
  };
  deps.live = livePlugin(parts);
  return parts;
}

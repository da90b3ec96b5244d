/** The read side and sessions: health, login, the county's figures, grids, cameras and their transitions. */
import type { FastifyPluginAsync } from 'fastify';
import type { HubDeps } from '../../http/deps.ts';
import { type AuthRouteOptions, authRoutes } from '../../http/routes/auth.ts';
import { countyRoutes } from '../../http/routes/county.ts';
import { healthRoutes } from '../../http/routes/health.ts';
import type { HubFeature } from '../feature.ts';

export function countyApiFeature(deps: Pick<HubDeps, 'auth' | 'view' | 'transitions' | 'ready'>, authOptions: AuthRouteOptions = {}): HubFeature {
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(healthRoutes(deps));
    await app.register(authRoutes(deps, authOptions));
    await app.register(countyRoutes(deps));
  };
  return { name: 'county-api', routes };
}

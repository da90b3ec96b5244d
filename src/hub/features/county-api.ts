/** The read side and sessions: health, login, the county's figures, grids, cameras and their transitions. */
import type { FastifyPluginAsync } from 'fastify';
import type { HubDeps } from '../../http/deps.ts';
import { type AuthRouteOptions, authRoutes } from '../../http/routes/auth.ts';
import { countyRoutes } from '../../http/routes/county.ts';
import { healthRoutes } from '../../http/routes/health.ts';
import { periodRoutes } from '../../http/routes/periods.ts';
import type { PeriodView } from '../../services/period-view.ts';
import type { HubFeature } from '../feature.ts';

export function countyApiFeature(deps: Pick<HubDeps, 'auth' | 'view' | 'transitions' | 'ready'> & { periods: PeriodView }, authOptions: AuthRouteOptions = {}): HubFeature {
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(healthRoutes(deps));
    await app.register(authRoutes(deps, authOptions));
    await app.register(countyRoutes(deps));
    await app.register(periodRoutes(deps));
  };
  return { name: 'county-api', routes };
}

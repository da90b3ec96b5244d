/** Maintenance windows (报备): the service that owns them, its routes, and the timer that starts and ends them. */
import type { CameraMeta } from '../../core/model.ts';
import type { Monitor } from '../../core/monitor.ts';
import type { Database } from '../../db/client.ts';
import { maintenanceRoutes } from '../../http/routes/maintenance.ts';
import type { AuthService } from '../../services/auth.ts';
import type { CountyView } from '../../services/county-view.ts';
import { MaintenanceService } from '../../services/maintenance.ts';
import type { TransitionSink } from '../../services/transition-sink.ts';
import type { HubFeature } from '../feature.ts';

export interface MaintenanceFeatureDeps {
  db: Database;
  monitor: Monitor;
  sink: TransitionSink;
  auth: AuthService;
  view: CountyView;
  cameras: CameraMeta[];
  now: () => number;
  /** how often windows are checked for their start and end */
  tickMs: number;
}

export function maintenanceFeature(deps: MaintenanceFeatureDeps): HubFeature & { service: MaintenanceService } {
  const service = new MaintenanceService(deps, deps.cameras);
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'maintenance',
    service,
    routes: maintenanceRoutes({ auth: deps.auth, view: deps.view, maintenance: service }),
    async start() {
      await service.start();
      service.apply(deps.now());
      timer = setInterval(() => service.apply(deps.now()), deps.tickMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
    },
  };
}

/**
 * Fault tickets: the rules fed with committed transitions and applied evidence (the
 * listeners only queue work), the store, the lifecycle API, the live stream, and the
 * ticket figures on /metrics.
 */
import type { MaintenanceCalendar } from '../../core/maintenance.ts';
import type { CameraMeta } from '../../core/model.ts';
import type { Monitor } from '../../core/monitor.ts';
import type { Database } from '../../db/client.ts';
import { crewsByTown } from '../../db/ticket-store.ts';
import type { TransitionLog } from '../../db/transition-log.ts';
import { ticketRoutes } from '../../http/routes/tickets.ts';
import type { Logger } from '../../log.ts';
import type { TicketMetricsRow } from '../../metrics/source.ts';
import type { NotifyConfig } from '../../notify/config.ts';
import type { OutboxWorker } from '../../notify/outbox-worker.ts';
import type { AuthService } from '../../services/auth.ts';
import type { CountyView } from '../../services/county-view.ts';
import type { EvidenceIntake } from '../../services/evidence-intake.ts';
import type { MetricsExtras } from '../../services/hub-metrics-source.ts';
import { TicketService } from '../../services/tickets.ts';
import type { HubFeature } from '../feature.ts';

export interface TicketsFeatureDeps {
  db: Database;
  monitor: Monitor;
  auth: AuthService;
  view: CountyView;
  cameras: CameraMeta[];
  calendar: MaintenanceCalendar;
  outbox: Pick<OutboxWorker, 'kick'>;
  /** committed transitions come from here */
  log: Pick<TransitionLog, 'onCommitted'>;
  /** applied evidence comes from here */
  intake: Pick<EvidenceIntake, 'onApplied'>;
  config: NotifyConfig;
  logger: Logger;
  now: () => number;
}

export async function ticketsFeature(deps: TicketsFeatureDeps): Promise<HubFeature & { service: TicketService }> {
  const service = new TicketService(
    { db: deps.db, monitor: deps.monitor, calendar: deps.calendar, outbox: deps.outbox, logger: deps.logger.child({ part: 'tickets' }), now: deps.now, cameras: deps.cameras },
    deps.config,
    await crewsByTown(deps.db),
  );
  // subscribed before start(): what arrives meanwhile waits in the service's backlog
  deps.log.onCommitted(service.onCommitted);
  deps.intake.onApplied(service.onApplied);
  return {
    name: 'tickets',
    service,
    routes: ticketRoutes({ auth: deps.auth, view: deps.view }, service),
    metrics: ticketMetrics(service),
    start: () => service.start(),
    stop: () => service.stop(),
  };
}

/** Open tickets and SLA breaches by town and class, and time to repair, for /metrics. */
function ticketMetrics(svc: TicketService): MetricsExtras {
  let repaired: { town: string; class: string; seconds: number }[] = [];
  svc.subscribe(({ ticket, events }) => {
    if (events.includes('resolved') && ticket.repairMs !== null && repaired.length < 100_000) {
      repaired.push({ town: ticket.townId, class: ticket.fault ?? 'reported', seconds: ticket.repairMs / 1000 });
    }
  });
  return {
    tickets() {
      const rows = new Map<string, TicketMetricsRow>();
      for (const t of svc.engine.active.values()) {
        const cls = (t.fault ?? 'reported') as TicketMetricsRow['class'];
        const key = `${t.townId}\u0000${cls}`;
        const row = rows.get(key) ?? { town: t.townId, class: cls, open: 0, slaBreached: 0 };
        row.open++;
        if (t.slaBreached) row.slaBreached++;
        rows.set(key, row);
      }
      return rows.values();
    },
    drainRepairSeconds() {
      const out = repaired;
      repaired = [];
      return out;
    },
  };
}

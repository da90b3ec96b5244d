/**
 * Wires fault tickets into a hub: rules + persistence + notifications + API.
 * Called from `startHub` before the HTTP app is built:
 *   await wireTickets(core, deps, { configDir })
 * It subscribes to committed transitions and applied probe results (both only
 * queue work), restores open tickets, and sets `deps.tickets` for the routes.
 */
import type { CameraMeta } from './core/tickets/model.ts';
import { crewsByTown } from './db/ticket-store.ts';
import type { HubDeps } from './http/deps.ts';
import type { HubCore } from './hub.ts';
import { loadNotifyConfig, type NotifyConfig } from './notify/config.ts';
import { TicketService } from './services/tickets.ts';
import type { MetricsExtras } from './services/hub-metrics-source.ts';
import type { TicketMetricsRow } from './metrics/source.ts';

export interface WireTicketsOptions {
  /** config/ folder: notify.yaml is read from here when present */
  configDir: string;
  /** tests: change the loaded configuration */
  adjust?: (c: NotifyConfig) => void;
}

export async function wireTickets(core: HubCore, deps: HubDeps, opts: WireTicketsOptions): Promise<TicketService> {
  const config = loadNotifyConfig(opts.configDir);
  opts.adjust?.(config);
  const cameras: CameraMeta[] = [...core.view.cameraInfo.values()].map((c) => ({
    code: c.code,
    gridId: c.gridId,
    townId: core.monitor.grids.get(c.gridId)?.grid.townId ?? '',
    siteId: c.siteId || null,
  }));
  const svc = new TicketService(
    { db: core.db, monitor: core.monitor, log: core.log, logger: core.logger.child({ part: 'tickets' }), now: core.now, cameras },
    config,
    await crewsByTown(core.db),
  );
  core.log.onCommitted(svc.onCommitted);
  core.ingest.onResults(svc.onResults);
  deps.tickets = svc;
  await svc.start();
  return svc;
}

/** Open tickets and SLA breaches by town and class, and time to repair, for /metrics. */
export function ticketMetrics(svc: TicketService): Pick<MetricsExtras, 'tickets' | 'drainRepairSeconds'> {
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

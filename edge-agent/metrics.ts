/**
 * The agent's own Prometheus metrics (own Registry, prefix `sharpeyes_agent_`) and the
 * tiny node:http server that exposes them on 127.0.0.1. No camera labels: a town's agent
 * probes thousands of cameras and per-camera series belong to the hub, not here.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProbeResult } from '../src/protocol/probe-result.ts';
import type { DeadLetterStats } from './dead-letter.ts';
import type { CycleStats } from './scheduler.ts';
import type { SpoolStats } from './spool.ts';

const P = 'sharpeyes_agent_';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly probesTotal = new Counter({
    name: `${P}probes_total`,
    help: 'Ladder rungs climbed, by rung and outcome',
    labelNames: ['rung', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly probeDuration = new Histogram({
    name: `${P}probe_duration_seconds`,
    help: 'Duration of one ladder rung',
    labelNames: ['rung'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly probeErrors = new Counter({
    name: `${P}probe_errors_total`,
    help: 'Probes that threw instead of returning a result (a bug in a probe)',
    registers: [this.registry],
  });
  readonly reportsSent = new Counter({
    name: `${P}reports_sent_total`,
    help: 'Report batches acknowledged by the hub (duplicates included)',
    registers: [this.registry],
  });
  readonly reportItemsSent = new Counter({
    name: `${P}report_items_sent_total`,
    help: 'Probe results in acknowledged batches',
    registers: [this.registry],
  });
  readonly reportErrors = new Counter({
    name: `${P}report_errors_total`,
    help: 'Failed report sends: transient (kept and retried), auth (token refused, 401/403: kept and retried), rejected (4xx: batch dead-lettered), spool_write (the spool refused a batch: held in memory, not lost), spool_lost (held beyond the bound, or at a stop: lost), dead_letter_write (disk refused a dead letter: lost)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly reportItemsRefused = new Counter({
    name: `${P}report_items_refused_total`,
    help: 'Probe results the hub refused one by one inside acknowledged batches, by code (invalid, future, unknown_camera, not_assigned; unspecified from older hubs)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly hubAuthRefused = new Gauge({
    name: `${P}hub_auth_refused`,
    help: '1 while the hub refuses this agent token (401/403): reports are spooled until the token is fixed',
    registers: [this.registry],
  });
  readonly deadLetterWritten = new Counter({
    name: `${P}dead_letter_written_total`,
    help: 'Report batches the hub refused whole, kept as dead letters (replay with --replay-dead-letter)',
    registers: [this.registry],
  });
  readonly deadLetterDropped = new Counter({
    name: `${P}dead_letter_dropped_batches_total`,
    help: 'Dead letters deleted (oldest first) because the dead-letter folder reached its bound',
    registers: [this.registry],
  });
  readonly deadLetterDroppedItems = new Counter({
    name: `${P}dead_letter_dropped_items_total`,
    help: 'Probe results in dead letters deleted at the bound',
    registers: [this.registry],
  });
  readonly spoolDroppedBatches = new Counter({
    name: `${P}spool_dropped_batches_total`,
    help: 'Batches dropped (oldest first) because the spool reached its size bound',
    registers: [this.registry],
  });
  readonly spoolDroppedItems = new Counter({
    name: `${P}spool_dropped_items_total`,
    help: 'Probe results in batches dropped from the full spool',
    registers: [this.registry],
  });
  readonly camerasBusy = new Counter({
    name: `${P}camera_busy_total`,
    help: 'Ladder passes where the camera answered at its RTSP session limit (alive, no session free; counted online)',
    registers: [this.registry],
  });
  readonly camerasAssigned = new Gauge({ name: `${P}cameras_assigned`, help: 'Cameras this agent probes', registers: [this.registry] });
  readonly cycleDuration = new Histogram({
    name: `${P}cycle_duration_seconds`,
    help: 'Probe cycle: from cycle start until its last probe was started',
    buckets: [1, 5, 10, 15, 20, 25, 30, 45, 60, 120],
    registers: [this.registry],
  });
  readonly cycleOverrun = new Counter({
    name: `${P}cycle_overrun_total`,
    help: 'Cycles in which a due camera was still busy with its previous ladder, or could not be started before the next cycle began',
    registers: [this.registry],
  });
  readonly cycleSkippedBusy = new Counter({
    name: `${P}cycle_skipped_busy_total`,
    help: 'Due probes skipped because the previous probe of that camera was still running',
    registers: [this.registry],
  });

  constructor(spoolStats: () => SpoolStats | null, deadLetterStats: () => DeadLetterStats | null = () => null) {
    const reg = this.registry;
    new Gauge({
      name: `${P}dead_letter_batches`,
      help: 'Report batches kept as dead letters (refused whole by the hub, awaiting replay)',
      registers: [reg],
      collect() {
        this.set(deadLetterStats()?.batches ?? 0);
      },
    });
    new Gauge({
      name: `${P}dead_letter_bytes`,
      help: 'Bytes in the dead-letter folder',
      registers: [reg],
      collect() {
        this.set(deadLetterStats()?.bytes ?? 0);
      },
    });
    new Gauge({
      name: `${P}spool_bytes`,
      help: 'Bytes in the on-disk spool',
      registers: [reg],
      collect() {
        this.set(spoolStats()?.bytes ?? 0);
      },
    });
    new Gauge({
      name: `${P}spool_batches`,
      help: 'Unsent batches in the on-disk spool',
      registers: [reg],
      collect() {
        this.set(spoolStats()?.batches ?? 0);
      },
    });
  }

  recordProbe(r: ProbeResult): void {
    if (r.busy === true) this.camerasBusy.inc();
    for (const rung of r.rungs) {
      this.probeCounter(rung.rung, rung.outcome).inc();
      if (rung.outcome !== 'skipped') this.probeTimer(rung.rung).observe(rung.ms / 1000);
    }
  }

  // label children bound once: prom-client hashes the label object on every inc/observe,
  // nine times per ladder (npm run bench, agent.cpu_us_per_probe)
  private readonly probeCounters = new Map<string, Counter.Internal>();
  private readonly probeTimers = new Map<string, Histogram.Internal<'rung'>>();
  private probeCounter(rung: string, outcome: string): Counter.Internal {
    const key = `${rung} ${outcome}`;
    let c = this.probeCounters.get(key);
    if (c === undefined) this.probeCounters.set(key, (c = this.probesTotal.labels(rung, outcome)));
    return c;
  }
  private probeTimer(rung: string): Histogram.Internal<'rung'> {
    let h = this.probeTimers.get(rung);
    if (h === undefined) this.probeTimers.set(rung, (h = this.probeDuration.labels(rung)));
    return h;
  }

  recordCycle(s: CycleStats): void {
    this.cycleDuration.observe(s.durationMs / 1000);
    // real overruns only: a camera still busy at its next slot, or one left without a free slot
    if (s.carried > 0 || s.skippedBusy > 0) this.cycleOverrun.inc();
    if (s.skippedBusy > 0) this.cycleSkippedBusy.inc(s.skippedBusy);
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serve GET /metrics on host:port (loopback by default; port 0 = any free port). */
export async function serveMetrics(registry: Registry, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

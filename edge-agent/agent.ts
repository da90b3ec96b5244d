/**
 * The edge agent, wired: scheduler → reporter → (memory | spool) → hub link, the camera
 * assignment (./assignment.ts: polled from the hub and cached, or a local list) read by the
 * scheduler and the command channel, one login guard per camera shared by the ladder and the
 * snapshot source (./login-guard.ts), and the /metrics endpoint.
 * `new Agent(config, { probe }).start()` / `.stop()`; usable in-process (hub demo, tests).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLogger, type Logger } from '../src/log.ts';
import { assignmentSource, CameraAssignment, type AssignmentSource } from './assignment.ts';
import { Backoff } from './backoff.ts';
import { systemClock, type Clock } from './clock.ts';
import type { AgentConfig } from './config.ts';
import { DeadLetter, replayDeadLetters, type ReplaySummary } from './dead-letter.ts';
import { HubLink } from './hub-link.ts';
import { LoginGuard } from './login-guard.ts';
import { AgentMetrics, serveMetrics, type MetricsServer } from './metrics.ts';
import { emptyReportCounters, Reporter } from './reporter.ts';
import { Scheduler, type ProbeFn } from './scheduler.ts';
import { SeqStore } from './seq-store.ts';
import { SnapshotSource } from './snapshots.ts';
import { Spool, type SpoolStats } from './spool.ts';

export interface AgentDeps {
  probe: ProbeFn;
  clock?: Clock;
  log?: Logger;
  /** jitter source for retry back-off */
  random?: () => number;
}

export interface AgentStatus {
  cameras: number;
  assignmentVersion: string | null;
  assignmentSource: AssignmentSource;
  probesInFlight: number;
  spool: SpoolStats;
  reports: Reporter['counters'];
}

export class Agent {
  readonly metrics: AgentMetrics;
  /** lockout safety: one login guard per camera, for the ladder and the snapshots alike */
  readonly loginGuard: LoginGuard;
  /** live snapshots for the command channel (through the login guard) */
  readonly snapshots: SnapshotSource;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly source: AssignmentSource;
  private assignment: CameraAssignment | null = null;
  private spool: Spool | null = null;
  private deadLetter: DeadLetter | null = null;
  private hub: HubLink | null = null;
  private reporter: Reporter | null = null;
  private scheduler: Scheduler | null = null;
  private metricsServer: MetricsServer | null = null;
  private seqStore: SeqStore | null = null;
  private probeErrors = 0;
  private running = false;

  constructor(
    readonly config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    this.log = deps.log ?? createLogger('agent');
    this.clock = deps.clock ?? systemClock;
    this.source = assignmentSource(config);
    this.metrics = new AgentMetrics(
      () => this.spool?.stats() ?? null,
      () => this.deadLetter?.stats() ?? null,
    );
    this.loginGuard = new LoginGuard(config.authBackoffMs);
    this.snapshots = new SnapshotSource({ guard: this.loginGuard, now: () => this.clock.now() });
  }

  get metricsPort(): number | null {
    return this.metricsServer?.port ?? null;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error('agent already started');
    this.running = true;
    const c = this.config;
    fs.mkdirSync(c.dataDir, { recursive: true });
    const spool = (this.spool = new Spool({
      dir: path.join(c.dataDir, 'spool'),
      maxBytes: c.spoolMaxBytes,
      log: this.log.child({ part: 'spool' }),
      onDrop: (batches, items) => {
        this.metrics.spoolDroppedBatches.inc(batches);
        this.metrics.spoolDroppedItems.inc(items);
      },
    }));
    this.deadLetter = this.openDeadLetter();
    this.hub = this.makeHubLink();
    this.reporter = new Reporter({
      hub: this.hub,
      spool,
      deadLetter: this.deadLetter,
      seq: (this.seqStore = new SeqStore(path.join(c.dataDir, 'seq'), spool.maxSeq + 1)),
      clock: this.clock,
      flushMs: c.reportFlushMs,
      maxItems: c.reportMaxItems,
      retry: new Backoff({ baseMs: c.retryBaseMs, maxMs: c.retryMaxMs, random: this.deps.random }),
      metrics: this.metrics,
      log: this.log.child({ part: 'reporter' }),
    });
    const reporter = this.reporter;
    this.scheduler = new Scheduler({
      probe: this.deps.probe,
      clock: this.clock,
      cycleMs: c.cycleMs,
      probeTimeoutMs: c.probeTimeoutMs,
      maxConcurrent: c.maxConcurrent,
      guard: this.loginGuard,
      frameEvery: c.frameEvery,
      onResult: (r) => {
        this.metrics.recordProbe(r);
        reporter.add(r);
      },
      onCycle: (s) => this.metrics.recordCycle(s),
      onProbeError: (cam, err) => {
        this.metrics.probeErrors.inc();
        if (++this.probeErrors <= 10 || this.probeErrors % 1000 === 0) {
          this.log.error({ camera: cam.code, err, total: this.probeErrors }, 'probe threw instead of returning a result');
        }
      },
    });
    const scheduler = this.scheduler;
    const assignment = (this.assignment = new CameraAssignment({ config: c, hub: this.hub, clock: this.clock, log: this.log, random: this.deps.random }));
    assignment.onFetched((a) => {
      if (a.lastSeq !== undefined && this.seqStore?.advanceTo(a.lastSeq + 1)) {
        this.log.warn({ next: a.lastSeq + 1 }, 'the hub has seen higher report seqs than this agent (data folder reset?): continuing above them');
      }
    });
    assignment.onChange(({ assignment: a }) => {
      scheduler.setCameras(a.cameras);
      this.metrics.camerasAssigned.set(a.cameras.length);
    });
    if (c.metricsPort !== null) this.metricsServer = await serveMetrics(this.metrics.registry, c.metricsPort);
    await assignment.start();
    reporter.start();
    scheduler.start();
    void import('./command-channel.ts').then((m) => this.running && m.attachCommandChannel(this, assignment, this.log.child({ part: 'live' })));
    this.log.info({ hub: c.hubUrl, source: this.source, cameras: this.scheduler.cameraCount, cycleMs: c.cycleMs, metricsPort: this.metricsPort }, 'agent started');
  }

  /** Stop probing, report what is left (hub permitting), spool the rest, close everything. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.assignment?.stop();
    const grace = this.config.shutdownGraceMs;
    await this.scheduler?.stop(grace);
    await this.reporter?.stop(grace);
    this.hub?.close();
    this.spool?.close();
    await this.metricsServer?.close();
    this.metricsServer = null;
    this.log.info({ spool: this.spool?.stats() }, 'agent stopped');
  }

  /**
   * `--replay-dead-letter`: re-send the batches the hub refused whole (after the hub was fixed
   * or upgraded), oldest first, with their own seqs; delivered ones are removed. Works while
   * another process of this agent runs (one file per dead letter). Needs no start().
   */
  async replayDeadLetter(): Promise<ReplaySummary> {
    const dl = this.openDeadLetter();
    const hub = this.makeHubLink();
    try {
      return await replayDeadLetters(dl, hub, this.log.child({ part: 'dead-letter' }));
    } finally {
      hub.close();
    }
  }

  /** the one link to the hub of this config (reports, assignment, dead-letter replay) */
  private makeHubLink(): HubLink {
    const c = this.config;
    return new HubLink({ hubUrl: c.hubUrl, token: c.token, timeoutMs: c.hubTimeoutMs, ...(c.hubTls ? { tls: c.hubTls } : {}), log: this.log });
  }

  /** the dead letters, beside the spool */
  private openDeadLetter(): DeadLetter {
    return new DeadLetter({
      dir: path.join(this.config.dataDir, 'dead-letter'),
      log: this.log.child({ part: 'dead-letter' }),
      now: () => this.clock.now(),
      onDrop: (batches, items) => {
        this.metrics.deadLetterDropped.inc(batches);
        this.metrics.deadLetterDroppedItems.inc(items);
      },
    });
  }

  status(): AgentStatus {
    return {
      cameras: this.scheduler?.cameraCount ?? 0,
      assignmentVersion: this.assignment?.version ?? null,
      assignmentSource: this.source,
      probesInFlight: this.scheduler?.probesInFlight ?? 0,
      spool: this.spool?.stats() ?? { bytes: 0, batches: 0, items: 0, droppedBatches: 0, droppedItems: 0, corruptLines: 0 },
      reports: this.reporter?.counters ?? emptyReportCounters(),
    };
  }
}

/**
 * The edge agent, wired: scheduler → reporter → (memory | spool) → hub link, plus the
 * camera assignment (polled from the hub, or a local list) and the /metrics endpoint.
 * `new Agent(config, { probe }).start()` / `.stop()`; usable in-process (hub demo, tests).
 *
 * The hub's assignment is cached in <data>/assignment.json (mode 0600: it holds camera
 * credentials) so an agent restarted while the hub is away keeps probing its cameras.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { AgentCamera } from '../src/protocol/probe-result.ts';
import { createLogger, type Logger } from '../src/log.ts';
import { Backoff } from './backoff.ts';
import { parseCameraList, type AgentConfig } from './config.ts';
import { HubLink } from './hub-link.ts';
import { AgentMetrics, serveMetrics, type MetricsServer } from './metrics.ts';
import { Reporter, SeqStore } from './reporter.ts';
import { Scheduler, systemClock, type Clock, type ProbeFn, type TimerHandle } from './scheduler.ts';
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
  assignmentSource: 'hub' | 'file' | 'inline';
  probesInFlight: number;
  spool: SpoolStats;
  reports: Reporter['counters'];
}

interface Assignment {
  version: string;
  cameras: AgentCamera[];
  /** the hub's highest recorded seq for this agent */
  lastSeq?: number;
}

export class Agent {
  readonly metrics: AgentMetrics;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly source: 'hub' | 'file' | 'inline';
  private spool: Spool | null = null;
  private hub: HubLink | null = null;
  private reporter: Reporter | null = null;
  private scheduler: Scheduler | null = null;
  private metricsServer: MetricsServer | null = null;
  private pollTimer: TimerHandle | null = null;
  private pollBackoff: Backoff;
  private pollFailing = false;
  private version: string | null = null;
  private seqStore: SeqStore | null = null;
  private lastCameras: AgentCamera[] = [];
  private probeErrors = 0;
  private running = false;

  constructor(
    readonly config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    this.log = deps.log ?? createLogger('agent');
    this.clock = deps.clock ?? systemClock;
    this.source = config.cameras ? 'inline' : config.camerasFile ? 'file' : 'hub';
    this.metrics = new AgentMetrics(() => this.spool?.stats() ?? null);
    const poll = config.assignmentPollMs;
    this.pollBackoff = new Backoff({ baseMs: Math.min(1000, poll), maxMs: poll, random: deps.random });
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
    this.hub = new HubLink({ hubUrl: c.hubUrl, token: c.token, timeoutMs: c.hubTimeoutMs });
    this.reporter = new Reporter({
      hub: this.hub,
      spool,
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
      authBackoffMs: c.authBackoffMs,
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
    if (c.metricsPort !== null) this.metricsServer = await serveMetrics(this.metrics.registry, c.metricsPort);
    const gotAssignment = await this.refreshAssignment(true);
    reporter.start();
    this.scheduler.start();
    void import('./command-channel.ts').then((m) => this.running && m.attachCommandChannel(this, this.log.child({ part: 'live' })));
    this.schedulePoll(gotAssignment ? c.assignmentPollMs : this.pollBackoff.next());
    this.log.info({ hub: c.hubUrl, source: this.source, cameras: this.scheduler.cameraCount, cycleMs: c.cycleMs, metricsPort: this.metricsPort }, 'agent started');
  }

  /** Stop probing, report what is left (hub permitting), spool the rest, close everything. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.pollTimer !== null) this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
    const grace = this.config.shutdownGraceMs;
    await this.scheduler?.stop(grace);
    await this.reporter?.stop(grace);
    this.hub?.close();
    this.spool?.close();
    await this.metricsServer?.close();
    this.metricsServer = null;
    this.log.info({ spool: this.spool?.stats() }, 'agent stopped');
  }

  status(): AgentStatus {
    return {
      cameras: this.scheduler?.cameraCount ?? 0,
      assignmentVersion: this.version,
      assignmentSource: this.source,
      probesInFlight: this.scheduler?.probesInFlight ?? 0,
      spool: this.spool?.stats() ?? { bytes: 0, batches: 0, items: 0, droppedBatches: 0, droppedItems: 0, corruptLines: 0 },
      reports: this.reporter?.counters ?? { batches: 0, sent: 0, duplicates: 0, rejected: 0, transientErrors: 0, itemsSent: 0 },
    };
  }

  private schedulePoll(ms: number): void {
    if (!this.running || this.source === 'inline') return;
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = null;
      void this.refreshAssignment(false).then((ok) => this.schedulePoll(ok ? this.config.assignmentPollMs : this.pollBackoff.next()));
    }, ms);
  }

  /** Fetch the camera list and apply it when its version changed. Never throws. */
  private async refreshAssignment(initial: boolean): Promise<boolean> {
    let a: Assignment;
    try {
      a = await this.fetchAssignment();
    } catch (err) {
      if (!this.pollFailing) this.log.warn({ err, source: this.source }, 'cannot get camera assignment; keeping the current one');
      this.pollFailing = true;
      if (initial && this.source === 'hub') {
        const cached = this.readCache();
        if (cached) {
          this.log.info({ version: cached.version, cameras: cached.cameras.length }, 'using cached assignment');
          this.apply(cached, false);
        }
      }
      return false;
    }
    if (this.pollFailing) this.log.info({ source: this.source }, 'camera assignment reachable again');
    if (a.lastSeq !== undefined && this.seqStore?.advanceTo(a.lastSeq + 1)) {
      this.log.warn({ next: a.lastSeq + 1 }, 'the hub has seen higher report seqs than this agent (data folder reset?): continuing above them');
    }
    this.pollFailing = false;
    this.pollBackoff.reset();
    if (this.running && a.version !== this.version) this.apply(a, this.source === 'hub');
    return true;
  }

  private async fetchAssignment(): Promise<Assignment> {
    if (this.source === 'inline') return { version: 'inline', cameras: this.config.cameras! };
    if (this.source === 'file') {
      const text = fs.readFileSync(this.config.camerasFile!, 'utf8');
      const version = createHash('sha256').update(text).digest('hex').slice(0, 16);
      if (version === this.version) return { version, cameras: [] };
      return { version, cameras: parseCameraList(parseYaml(text), this.config.camerasFile!) };
    }
    return this.hub!.fetchAssignment();
  }

  private apply(a: Assignment, cache: boolean): void {
    // counts only: camera records carry credentials and never go to a log line
    const before = new Map(this.lastCameras.map((cam) => [cam.code, cam] as const));
    let added = 0;
    let changed = 0;
    for (const cam of a.cameras) {
      const prev = before.get(cam.code);
      if (!prev) added++;
      else if (JSON.stringify(prev) !== JSON.stringify(cam)) changed++;
      before.delete(cam.code);
    }
    this.scheduler!.setCameras(a.cameras);
    this.lastCameras = a.cameras;
    this.version = a.version;
    this.metrics.camerasAssigned.set(a.cameras.length);
    this.log.info({ version: a.version, cameras: a.cameras.length, added, removed: before.size, changed }, 'camera assignment applied');
    if (cache) this.writeCache(a);
  }

  private cacheFile(): string {
    return path.join(this.config.dataDir, 'assignment.json');
  }

  private writeCache(a: Assignment): void {
    try {
      const tmp = this.cacheFile() + '.tmp';
      fs.writeFileSync(tmp, JSON.stringify(a), { mode: 0o600 });
      fs.renameSync(tmp, this.cacheFile());
    } catch (err) {
      this.log.warn({ err }, 'cannot cache the camera assignment');
    }
  }

  private readCache(): Assignment | null {
    try {
      const a = JSON.parse(fs.readFileSync(this.cacheFile(), 'utf8')) as Assignment;
      return typeof a.version === 'string' && Array.isArray(a.cameras) ? a : null;
    } catch {
      return null;
    }
  }
}

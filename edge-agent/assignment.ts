/**
 * The agent's camera assignment, owned here once: the scheduler and the command channel both
 * read it from one CameraAssignment.
 *
 * - Source: the hub (GET /api/agent/assignment), a local camera file (re-read when it changes)
 *   or the config's inline list (assignmentSource).
 * - Validation: the hub's answer and the cached copy are checked with the protocol schema
 *   (src/protocol/assignment.ts). A malformed assignment is refused with a log line naming the
 *   problem; the current (or cached) cameras stay.
 * - Cache: the hub's copy is kept in <data>/assignment.json (mode 0600: it holds camera
 *   credentials), so an agent restarted while the hub is away keeps probing its cameras.
 * - Polling every `assignmentPollMs`, with back-off while it fails; `onChange` listeners hear of
 *   every new version (with counts only: camera records carry credentials and never reach a log).
 * - Lookup by camera code (`lookup`): an unknown code triggers a refetch, at most every
 *   `minRefreshMs` (a camera assigned a moment ago can be streamed before the next poll).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createLogger, type Logger } from '../src/log.ts';
import { type AgentAssignment, type AgentCamera, checkAssignment } from '../src/protocol/assignment.ts';
import { ProtocolError } from '../src/protocol/validate.ts';
import { Backoff } from './backoff.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { parseCameraList, type AgentConfig } from './config.ts';

export type AssignmentSource = 'hub' | 'file' | 'inline';

/** A version of the camera list: the hub's AgentAssignment, or a local list (no `agent`, no `lastSeq`). */
export type Assignment = Omit<AgentAssignment, 'agent'> & { agent?: string };

export interface AssignmentChange {
  assignment: Assignment;
  added: number;
  removed: number;
  changed: number;
}

export interface AssignmentFetcher {
  /** the hub's assignment, validated (throws a ProtocolError when malformed) */
  fetchAssignment(): Promise<AgentAssignment>;
}

export interface CameraAssignmentOptions {
  /** `dataDir: null` = no cache file */
  config: Pick<AgentConfig, 'cameras' | 'camerasFile' | 'assignmentPollMs'> & { dataDir: string | null };
  /** required when the source is the hub */
  hub: AssignmentFetcher | null;
  clock?: Clock;
  log?: Logger;
  /** jitter source for the poll back-off */
  random?: () => number;
  /** an unknown code refetches the assignment at most this often (default 5 s) */
  minRefreshMs?: number;
}

/** Where the cameras come from: the local list decides when the config has one. */
export function assignmentSource(config: Pick<AgentConfig, 'cameras' | 'camerasFile'>): AssignmentSource {
  return config.cameras ? 'inline' : config.camerasFile ? 'file' : 'hub';
}

export class CameraAssignment {
  readonly source: AssignmentSource;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pollBackoff: Backoff;
  private readonly minRefreshMs: number;
  private current: Assignment | null = null;
  private byCode = new Map<string, AgentCamera>();
  private readonly changeListeners: ((c: AssignmentChange) => void)[] = [];
  private readonly fetchListeners: ((a: Assignment) => void)[] = [];
  private pollTimer: TimerHandle | null = null;
  private refreshing: Promise<boolean> | null = null;
  private lastAttemptAt = -Infinity;
  private failing = false;
  private lastProblem: string | null = null;
  private polling = false;
  private stopped = false;

  constructor(private readonly o: CameraAssignmentOptions) {
    this.source = assignmentSource(o.config);
    if (this.source === 'hub' && !o.hub) throw new Error('camera assignment: the hub source needs a hub link');
    this.clock = o.clock ?? systemClock;
    this.log = o.log ?? createLogger('agent');
    const poll = o.config.assignmentPollMs;
    this.pollBackoff = new Backoff({ baseMs: Math.min(1000, poll), maxMs: poll, random: o.random });
    this.minRefreshMs = o.minRefreshMs ?? 5000;
  }

  get version(): string | null {
    return this.current?.version ?? null;
  }

  get cameras(): readonly AgentCamera[] {
    return this.current?.cameras ?? [];
  }

  /** Called with every new version (and the cached one the agent starts from). */
  onChange(fn: (c: AssignmentChange) => void): void {
    this.changeListeners.push(fn);
  }

  /** Called with every assignment fetched, changed or not (the hub's `lastSeq` rides on it). */
  onFetched(fn: (a: Assignment) => void): void {
    this.fetchListeners.push(fn);
  }

  /**
   * First fetch (from the cache when the hub cannot be reached or its answer is refused), then
   * poll. Resolves to whether the first fetch succeeded. Never throws.
   */
  async start(): Promise<boolean> {
    this.stopped = false;
    this.polling = true;
    const ok = await this.refresh();
    if (!ok && this.source === 'hub' && this.current === null && !this.stopped) {
      const cached = this.readCache();
      if (cached) {
        this.log.info({ version: cached.version, cameras: cached.cameras.length }, 'using cached assignment');
        this.apply(cached, false);
      }
    }
    this.schedulePoll(ok ? this.o.config.assignmentPollMs : this.pollBackoff.next());
    return ok;
  }

  stop(): void {
    this.stopped = true;
    this.polling = false;
    if (this.pollTimer !== null) this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  /** The camera with this code now, or null. */
  get(code: string): AgentCamera | null {
    return this.byCode.get(code) ?? null;
  }

  /** The camera with this code; an unknown code refetches first (at most every minRefreshMs). */
  async lookup(code: string): Promise<AgentCamera | null> {
    const known = this.byCode.get(code);
    if (known) return known;
    if (this.clock.now() - this.lastAttemptAt >= this.minRefreshMs) await this.refresh();
    return this.byCode.get(code) ?? null;
  }

  /** Fetch the camera list and apply it when its version changed; concurrent calls share one fetch. Never throws. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.fetchAndApply().finally(() => {
      this.lastAttemptAt = this.clock.now();
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private schedulePoll(ms: number): void {
    if (!this.polling || this.source === 'inline') return;
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = null;
      void this.refresh().then((ok) => this.schedulePoll(ok ? this.o.config.assignmentPollMs : this.pollBackoff.next()));
    }, ms);
  }

  private async fetchAndApply(): Promise<boolean> {
    let a: Assignment;
    try {
      a = await this.fetch();
    } catch (err) {
      if (err instanceof ProtocolError) {
        // the problem names a path and a rule (e.g. /cameras/3/onvifPort must be integer), never a value
        if (err.message !== this.lastProblem) this.log.warn({ problem: err.message, source: this.source }, 'refused a malformed camera assignment; keeping the current cameras');
        this.lastProblem = err.message;
      } else if (!this.failing) {
        this.log.warn({ err, source: this.source }, 'cannot get camera assignment; keeping the current one');
      }
      this.failing = true;
      return false;
    }
    if (this.failing) this.log.info({ source: this.source }, 'camera assignment reachable again');
    this.failing = false;
    this.lastProblem = null;
    this.pollBackoff.reset();
    if (this.stopped) return true;
    for (const fn of this.fetchListeners) fn(a);
    if (a.version !== this.current?.version) this.apply(a, this.source === 'hub');
    return true;
  }

  private async fetch(): Promise<Assignment> {
    const c = this.o.config;
    if (this.source === 'inline') return { version: 'inline', cameras: c.cameras! };
    if (this.source === 'file') {
      const text = fs.readFileSync(c.camerasFile!, 'utf8');
      const version = createHash('sha256').update(text).digest('hex').slice(0, 16);
      if (this.current && version === this.current.version) return this.current;
      return { version, cameras: parseCameraList(parseYaml(text), c.camerasFile!) };
    }
    return this.o.hub!.fetchAssignment();
  }

  private apply(a: Assignment, cache: boolean): void {
    const before = new Map(this.byCode);
    let added = 0;
    let changed = 0;
    for (const cam of a.cameras) {
      const prev = before.get(cam.code);
      if (!prev) added++;
      else if (JSON.stringify(prev) !== JSON.stringify(cam)) changed++;
      before.delete(cam.code);
    }
    this.current = a;
    this.byCode = new Map(a.cameras.map((cam) => [cam.code, cam] as const));
    this.log.info({ version: a.version, cameras: a.cameras.length, added, removed: before.size, changed }, 'camera assignment applied');
    if (cache) this.writeCache(a);
    for (const fn of this.changeListeners) fn({ assignment: a, added, removed: before.size, changed });
  }

  private cacheFile(): string | null {
    return this.o.config.dataDir === null ? null : path.join(this.o.config.dataDir, 'assignment.json');
  }

  private writeCache(a: Assignment): void {
    const file = this.cacheFile();
    if (!file) return;
    try {
      const tmp = file + '.tmp';
      fs.writeFileSync(tmp, JSON.stringify(a), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (err) {
      this.log.warn({ err }, 'cannot cache the camera assignment');
    }
  }

  private readCache(): Assignment | null {
    const file = this.cacheFile();
    if (!file) return null;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err }, 'cannot read the cached camera assignment');
      return null;
    }
    try {
      return checkAssignment(JSON.parse(text));
    } catch (err) {
      const problem = err instanceof ProtocolError ? err.message : 'assignment: not JSON';
      this.log.warn({ problem, file }, 'ignoring a malformed cached camera assignment');
      return null;
    }
  }
}

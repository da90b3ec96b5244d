/**
 * Dead letters: report batches the hub refused whole (a 4xx other than auth, rate limit or
 * timeout: a batch it says it will never take), kept beside the spool instead of dropped,
 * so an operator can replay them once the hub is fixed or upgraded
 * (`npm run agent -- --replay-dead-letter …`, see `replayDeadLetters`).
 *
 * Layout (in `dir`, by default `<dataDir>/dead-letter/`): one file per batch,
 * `dl-<ms, 15 digits>-<seq, 12 digits>.json` = { refusedAt, status, detail, batch }, written to
 * a temporary name, fsynced, then renamed — a reader never sees half a file, and the running
 * agent and a replay command may share the folder (the state is the folder, read on demand).
 *
 * Bound: at most `maxFiles` files and `maxBytes` bytes; when a new one would exceed either,
 * the oldest are deleted — counted (`dropped`), logged, reported via onDrop: never silent.
 * Replaying a batch keeps its seq: the hub never recorded it (it refused it), and a second
 * replay of an accepted one is answered `duplicate: true` by the hub's (agent, seq) ledger.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReportBatch } from '../src/protocol/probe-result.ts';
import { createLogger, type Logger } from '../src/log.ts';
import type { BatchSender } from './hub-link.ts';

export interface DeadLetterOptions {
  dir: string;
  /** default 64 MiB */
  maxBytes?: number;
  /** default 1000 */
  maxFiles?: number;
  log?: Logger;
  now?: () => number;
  onDrop?: (batches: number, items: number) => void;
}

export interface DeadLetterStats {
  batches: number;
  bytes: number;
}

export interface DeadLetterEntry {
  file: string;
  refusedAt: number;
  status: number;
  detail: string;
  batch: ReportBatch;
}

const FILE_RE = /^dl-\d{15}-\d{12}\.json$/;

export class DeadLetter {
  readonly maxBytes: number;
  readonly maxFiles: number;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: DeadLetterOptions) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.maxFiles = opts.maxFiles ?? 1000;
    this.log = opts.log ?? createLogger('agent.dead-letter');
    this.now = opts.now ?? Date.now;
    fs.mkdirSync(opts.dir, { recursive: true });
  }

  /** Keep a batch the hub refused whole. Throws when the disk refuses (the caller logs and counts it). */
  put(batch: ReportBatch, status: number, detail: string): string {
    const refusedAt = this.now();
    const body = Buffer.from(JSON.stringify({ refusedAt, status, detail, batch }));
    const name = `dl-${String(refusedAt).padStart(15, '0')}-${String(batch.seq).padStart(12, '0')}.json`;
    this.makeRoom(body.length, name);
    const full = path.join(this.opts.dir, name);
    const tmp = `${full}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, body);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, full);
    return name;
  }

  stats(): DeadLetterStats {
    let bytes = 0;
    const files = this.files();
    for (const f of files) bytes += f.bytes;
    return { batches: files.length, bytes };
  }

  /** Every dead letter, oldest first (an unreadable file is skipped and logged, left in place). */
  list(): DeadLetterEntry[] {
    const out: DeadLetterEntry[] = [];
    for (const { file } of this.files()) {
      const e = this.read(file);
      if (e) out.push(e);
    }
    return out;
  }

  /** The batch was delivered (or is no longer wanted): forget it. */
  remove(file: string): void {
    fs.rmSync(path.join(this.opts.dir, file), { force: true });
  }

  private files(): { file: string; bytes: number }[] {
    const out: { file: string; bytes: number }[] = [];
    for (const file of fs.readdirSync(this.opts.dir).sort()) {
      if (!FILE_RE.test(file)) continue;
      try {
        out.push({ file, bytes: fs.statSync(path.join(this.opts.dir, file)).size });
      } catch {
        // removed meanwhile (a replay in another process)
      }
    }
    return out;
  }

  private read(file: string): DeadLetterEntry | null {
    try {
      const o = JSON.parse(fs.readFileSync(path.join(this.opts.dir, file), 'utf8')) as Omit<DeadLetterEntry, 'file'>;
      if (typeof o?.batch?.seq !== 'number' || !Array.isArray(o.batch.items)) throw new Error('not a dead letter');
      return { file, refusedAt: o.refusedAt, status: o.status, detail: o.detail, batch: o.batch };
    } catch (err) {
      this.log.error({ file, err: (err as Error).message }, 'dead letter unreadable: left in place');
      return null;
    }
  }

  private makeRoom(need: number, incoming: string): void {
    const files = this.files().filter((f) => f.file !== incoming);
    let bytes = files.reduce((n, f) => n + f.bytes, 0);
    let count = files.length;
    let batches = 0;
    let items = 0;
    for (const f of files) {
      if (count + 1 <= this.maxFiles && bytes + need <= this.maxBytes) break;
      const e = this.read(f.file);
      this.remove(f.file);
      count--;
      bytes -= f.bytes;
      batches++;
      items += e?.batch.items.length ?? 0;
      this.log.warn({ file: f.file, seq: e?.batch.seq, items: e?.batch.items.length, maxFiles: this.maxFiles, maxBytes: this.maxBytes }, 'dead letters full: oldest batch deleted');
    }
    if (batches > 0) this.opts.onDrop?.(batches, items);
  }
}

export interface ReplaySummary {
  /** delivered (the hub acknowledged them; duplicates included) and removed */
  sent: number;
  /** refused whole again: kept */
  refused: number;
  /** not tried or kept because the hub was away or refused our token */
  left: number;
  /** items the hub refused one by one inside delivered batches */
  refusedItems: number;
}

/**
 * Re-send every dead letter, oldest first, with its own seq: delivered ones are removed,
 * refused ones kept (and logged with the hub's reason); stops at the first transient failure
 * (hub away, token refused) and leaves the rest for the next try.
 */
export async function replayDeadLetters(dl: DeadLetter, hub: BatchSender, log: Logger): Promise<ReplaySummary> {
  const entries = dl.list();
  const sum: ReplaySummary = { sent: 0, refused: 0, left: 0, refusedItems: 0 };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const out = await hub.sendBatch(e.batch);
    if (out.kind === 'ok') {
      dl.remove(e.file);
      sum.sent++;
      sum.refusedItems += out.ack.refused.length;
      log.info({ seq: e.batch.seq, accepted: out.ack.accepted, refused: out.ack.refused.length, duplicate: out.ack.duplicate }, 'dead letter delivered');
    } else if (out.kind === 'rejected') {
      sum.refused++;
      log.error({ seq: e.batch.seq, file: e.file, status: out.status, detail: out.detail }, 'dead letter refused again: kept');
    } else {
      sum.left = entries.length - i;
      log.warn({ seq: e.batch.seq, status: out.status, detail: out.detail, left: sum.left }, 'hub unavailable: replay stopped, dead letters kept');
      break;
    }
  }
  return sum;
}

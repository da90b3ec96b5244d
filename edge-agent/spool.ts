/**
 * Durable on-disk spool of report batches the hub has not acknowledged yet.
 *
 * Layout (in `dir`): append-only segment files `seg-<n>.jsonl`, one ReportBatch JSON per
 * line (the batch carries its own seq), plus `acked` = highest acknowledged seq.
 * An in-memory index (seq → segment, offset, length) is rebuilt by scanning at open.
 *
 * Durability: fsync after every appended batch, and of the directory when a segment is created. The spool is only written while the hub is
 * away or slow (the reporter keeps healthy traffic in memory), so this is at most a few
 * fsyncs a second (one per ≤500-item batch), and a batch the reporter handed over survives
 * a power cut. `acked` is written without fsync: losing it only re-sends batches the hub
 * already has, which it answers with `duplicate: true`.
 * A write is whole or not there: a short count is written on; a full disk (ENOSPC, or a short
 * count with no progress after it) or a failed fsync cuts the segment back to the line's start
 * and append throws — the reporter logs and counts that batch as lost.
 *
 * Bound: total segment bytes ≤ maxBytes. When an append would exceed it, whole oldest
 * segments are deleted (their batches counted as dropped, logged, reported via onDrop).
 * Segments are ≤ maxBytes/8 so one drop frees at most ~1/8 of the spool.
 * Fully acknowledged segments are deleted. A torn/corrupt line (crash mid-write) is
 * skipped and counted; a torn tail is truncated away so it is counted once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReportBatch } from '../src/protocol/probe-result.ts';
import { createLogger, type Logger } from '../src/log.ts';

export interface SpoolOptions {
  dir: string;
  /** default 256 MiB */
  maxBytes?: number;
  /** default min(8 MiB, maxBytes / 8) */
  segmentBytes?: number;
  log?: Logger;
  onDrop?: (batches: number, items: number) => void;
}

export interface SpoolStats {
  bytes: number;
  batches: number;
  items: number;
  droppedBatches: number;
  droppedItems: number;
  corruptLines: number;
}

interface Segment {
  id: number;
  file: string;
  bytes: number;
  live: number;
}
interface Entry {
  seq: number;
  seg: Segment;
  offset: number;
  length: number;
  items: number;
}

const SEG_RE = /^seg-(\d+)\.jsonl$/;

export class Spool {
  readonly maxBytes: number;
  readonly segmentBytes: number;
  private readonly log: Logger;
  private segments: Segment[] = [];
  private entries: Entry[] = [];
  private head = 0;
  private writeSeg: Segment | null = null;
  private fd: number | null = null;
  private nextSegId = 1;
  private totalBytes = 0;
  private liveItems = 0;
  private ackedSeq = 0;
  private maxSeqSeen = 0;
  private dropped = { batches: 0, items: 0 };
  private corrupt = 0;

  constructor(private readonly opts: SpoolOptions) {
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.segmentBytes = opts.segmentBytes ?? Math.max(4096, Math.min(8 * 1024 * 1024, Math.floor(this.maxBytes / 8)));
    this.log = opts.log ?? createLogger('agent.spool');
    fs.mkdirSync(opts.dir, { recursive: true });
    this.scan();
  }

  get isEmpty(): boolean {
    return this.head >= this.entries.length;
  }

  /** Highest seq ever seen in the spool (acknowledged or not); 0 if none. */
  get maxSeq(): number {
    return this.maxSeqSeen;
  }

  stats(): SpoolStats {
    return {
      bytes: this.totalBytes,
      batches: this.entries.length - this.head,
      items: this.liveItems,
      droppedBatches: this.dropped.batches,
      droppedItems: this.dropped.items,
      corruptLines: this.corrupt,
    };
  }

  append(batch: ReportBatch): void {
    if (batch.seq <= this.maxSeqSeen) throw new Error(`spool: seq ${batch.seq} not above ${this.maxSeqSeen}`);
    const line = Buffer.from(JSON.stringify(batch) + '\n');
    this.makeRoom(line.length);
    if (this.writeSeg && this.writeSeg.bytes > 0 && this.writeSeg.bytes + line.length > this.segmentBytes) this.closeWriter();
    if (!this.writeSeg) this.openWriter();
    const seg = this.writeSeg!;
    this.writeWhole(this.fd!, line, seg.bytes);
    this.entries.push({ seq: batch.seq, seg, offset: seg.bytes, length: line.length, items: batch.items.length });
    seg.bytes += line.length;
    seg.live++;
    this.totalBytes += line.length;
    this.liveItems += batch.items.length;
    this.maxSeqSeen = batch.seq;
  }

  /**
   * The whole line at `at`, fsynced — or nothing: a full disk can cut a write short (tmpfs and
   * most file systems fill the last page, then return a short count; the next write is ENOSPC).
   * A short write is written on from where it stopped; when the disk refuses the rest (an error,
   * or no progress), or the fsync fails, the segment is cut back to `at` and the error thrown:
   * the caller (the reporter) logs and counts the batch as lost, and no torn line is left to be
   * read back later as a corrupt one.
   */
  private writeWhole(fd: number, line: Buffer, at: number): void {
    let done = 0;
    try {
      // each pass writes ≥ 1 byte or throws, so at most line.length passes; bounded again for safety
      for (let pass = 0; done < line.length; pass++) {
        const n = fs.writeSync(fd, line, done, line.length - done, at + done);
        if (n <= 0 || pass >= 64) throw Object.assign(new Error(`spool: short write (${done} of ${line.length} bytes)`), { code: 'ENOSPC' });
        done += n;
      }
      fs.fsyncSync(fd);
    } catch (err) {
      try {
        fs.ftruncateSync(fd, at);
      } catch (cutErr) {
        // the torn tail stays on disk: start a new segment, so nothing is appended after it
        // (the scan at the next open cuts a torn last line away)
        const seg = this.writeSeg;
        this.log.error({ err: cutErr, segment: seg?.file }, 'spool: could not cut a failed write back; segment closed');
        try {
          fs.closeSync(fd);
        } catch {
          // closed or not, this descriptor is not written again
        }
        this.fd = null;
        this.writeSeg = null;
        if (seg && seg.live === 0) this.deleteSegment(seg);
      }
      const e = err as NodeJS.ErrnoException;
      throw Object.assign(new Error(`spool write failed after ${done} of ${line.length} bytes: ${e.code ?? e.message}`), { code: e.code ?? 'EIO' });
    }
  }

  /** The oldest unacknowledged batch, read back from disk. */
  peek(): ReportBatch | undefined {
    while (!this.isEmpty) {
      const e = this.entries[this.head]!;
      const batch = this.readEntry(e);
      if (batch && batch.seq === e.seq) return batch;
      this.corrupt++;
      this.log.error({ seq: e.seq, segment: e.seg.file }, 'spooled batch unreadable; skipped');
      this.consumeHead();
    }
    return undefined;
  }

  /** The hub has the batch `seq` (or it was refused): forget it and everything older. */
  ack(seq: number): void {
    while (!this.isEmpty && this.entries[this.head]!.seq <= seq) this.consumeHead();
    if (seq > this.ackedSeq) {
      this.ackedSeq = seq;
      const f = path.join(this.opts.dir, 'acked');
      fs.writeFileSync(f + '.tmp', String(seq));
      fs.renameSync(f + '.tmp', f);
    }
  }

  close(): void {
    if (this.fd !== null) {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
    }
    this.fd = null;
    this.writeSeg = null;
  }

  private consumeHead(): void {
    const e = this.entries[this.head++]!;
    e.seg.live--;
    this.liveItems -= e.items;
    if (e.seg.live === 0) this.deleteSegment(e.seg);
    // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,ArithmeticOperator,BlockStatement: compacting the consumed prefix of the index is a memory optimisation; slice + reset is correct whenever it runs, so when (or whether) it runs changes no behaviour
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private makeRoom(need: number): void {
    while (this.totalBytes + need > this.maxBytes && this.segments.length > 0) {
      const seg = this.segments[0]!;
      let batches = 0;
      let items = 0;
      let firstSeq = 0;
      let lastSeq = 0;
      while (!this.isEmpty && this.entries[this.head]!.seg === seg) {
        const e = this.entries[this.head]!;
        firstSeq ||= e.seq;
        lastSeq = e.seq;
        batches++;
        items += e.items;
        this.consumeHead(); // deletes the segment when its last entry goes
      }
      // Stryker disable next-line ConditionalExpression,EqualityOperator: unreachable — consumeHead already deleted seg with its last entry, and deleteSegment ignores a segment no longer listed
      if (this.segments[0] === seg) this.deleteSegment(seg); // held only consumed lines
      if (batches > 0) {
        this.dropped.batches += batches;
        this.dropped.items += items;
        this.log.warn({ batches, items, firstSeq, lastSeq, maxBytes: this.maxBytes }, 'spool full: dropped oldest batches');
        this.opts.onDrop?.(batches, items);
      }
    }
  }

  private deleteSegment(seg: Segment): void {
    const i = this.segments.indexOf(seg);
    if (i < 0) return;
    if (seg === this.writeSeg) this.close();
    this.segments.splice(i, 1);
    this.totalBytes -= seg.bytes;
    fs.rmSync(path.join(this.opts.dir, seg.file), { force: true });
  }

  private openWriter(): void {
    // Stryker disable next-line StringLiteral: placeholder, overwritten on the next line
    const seg: Segment = { id: this.nextSegId++, file: '', bytes: 0, live: 0 };
    seg.file = `seg-${String(seg.id).padStart(10, '0')}.jsonl`;
    this.fd = fs.openSync(path.join(this.opts.dir, seg.file), 'w', 0o600);
    // the new file's directory entry must survive a power cut too: fsync the directory
    const dirFd = fs.openSync(this.opts.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
    this.writeSeg = seg;
    this.segments.push(seg);
  }

  private closeWriter(): void {
    const seg = this.writeSeg;
    this.close();
    if (seg && seg.live === 0) this.deleteSegment(seg);
  }

  private readEntry(e: Entry): ReportBatch | null {
    const buf = Buffer.alloc(e.length);
    try {
      const fd = fs.openSync(path.join(this.opts.dir, e.seg.file), 'r');
      try {
        fs.readSync(fd, buf, 0, e.length, e.offset);
      } finally {
        fs.closeSync(fd);
      }
      return parseBatch(buf.toString('utf8'));
    } catch /* Stryker disable next-line BlockStatement: undefined instead of null; the only caller tests truthiness */ {
      return null;
    }
  }

  private scan(): void {
    const dir = this.opts.dir;
    try {
      // Stryker disable next-line MethodExpression: Number() ignores surrounding whitespace itself
      this.ackedSeq = Number(fs.readFileSync(path.join(dir, 'acked'), 'utf8').trim()) || 0;
    } catch /* Stryker disable next-line BlockStatement: ackedSeq is still its initial 0 when the read fails */ {
      this.ackedSeq = 0;
    }
    this.maxSeqSeen = this.ackedSeq;
    const files = fs
      .readdirSync(dir)
      .map((f) => ({ f, m: SEG_RE.exec(f) }))
      .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ file: x.f, id: Number(x.m[1]) }))
      .sort((a, b) => a.id - b.id);
    for (const { file, id } of files) {
      this.nextSegId = Math.max(this.nextSegId, id + 1);
      const seg: Segment = { id, file, bytes: 0, live: 0 };
      const full = path.join(dir, file);
      const buf = fs.readFileSync(full);
      let off = 0;
      while (off < buf.length) {
        const nl = buf.indexOf(0x0a, off);
        const end = nl < 0 ? buf.length : nl + 1;
        const batch = nl < 0 ? null : parseBatch(buf.toString('utf8', off, nl));
        if (!batch || batch.seq <= this.maxSeqSeen) {
          if (!batch || batch.seq > this.ackedSeq) {
            this.corrupt++;
            this.log.warn({ segment: file, offset: off }, 'spool: corrupt or out-of-order line skipped');
          }
          if (end === buf.length && !batch) {
            fs.truncateSync(full, off); // torn tail of a crash: cut it so appends stay clean
            break;
          }
        } else {
          this.entries.push({ seq: batch.seq, seg, offset: off, length: end - off, items: batch.items.length });
          seg.live++;
          this.liveItems += batch.items.length;
          this.maxSeqSeen = batch.seq;
        }
        off = end;
        seg.bytes = off;
      }
      // Stryker disable next-line MethodExpression: seg.bytes equals off whenever this line runs (the loop sets it, the torn-tail break leaves both at the line start)
      seg.bytes = Math.min(seg.bytes, off);
      this.segments.push(seg);
      this.totalBytes += seg.bytes;
      if (seg.live === 0) this.deleteSegment(seg);
    }
    if (!this.isEmpty) this.log.info({ ...this.stats() }, 'spool opened with unsent batches');
  }
}

function parseBatch(line: string): ReportBatch | null {
  try {
    const b = JSON.parse(line) as ReportBatch;
    // Stryker disable next-line OptionalChaining: for a null line, null.seq throws inside this try, which also returns null
    if (typeof b?.seq !== 'number' || !Number.isSafeInteger(b.seq) || !Array.isArray(b.items)) return null;
    return b;
  } catch /* Stryker disable next-line BlockStatement: undefined instead of null; callers test truthiness */ {
    return null;
  }
}

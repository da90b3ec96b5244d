/**
 * The agent's report seq counter, persisted in <data>/seq: strictly increasing seqs for the
 * reporter's batches, also across restarts and crashes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Persisted seq counter. The file holds a reservation: every seq below it may have been
 * used. Reserving `block` seqs per fsync keeps disk writes rare; a crash leaves a gap
 * (harmless: the hub only needs seqs to increase), a clean close writes the exact next seq.
 */
export class SeqStore {
  private nextSeq: number;
  private reserved: number;

  constructor(
    private readonly file: string,
    minNext = 1,
    private readonly block = 1000,
  ) {
    let stored = 0;
    try {
      stored = Number(fs.readFileSync(file, 'utf8').trim()) || 0;
    } catch {
      stored = 0;
    }
    this.nextSeq = Math.max(1, stored, minNext);
    this.reserved = this.nextSeq;
  }

  take(): number {
    if (this.nextSeq >= this.reserved) {
      this.reserved = this.nextSeq + this.block;
      this.persist(this.reserved);
    }
    return this.nextSeq++;
  }

  /** Never hand out a seq below `next` (the hub has seen up to next − 1). Returns true if it moved. */
  advanceTo(next: number): boolean {
    if (next <= this.nextSeq) return false;
    this.nextSeq = next;
    this.reserved = next; // the next take() persists a fresh reservation above it
    return true;
  }

  get peekNext(): number {
    return this.nextSeq;
  }

  close(): void {
    this.persist(this.nextSeq);
    this.reserved = this.nextSeq;
  }

  private persist(v: number): void {
    const tmp = this.file + '.tmp';
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, String(v));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    try {
      const dfd = fs.openSync(path.dirname(this.file), 'r');
      fs.fsyncSync(dfd);
      fs.closeSync(dfd);
    } catch {
      /* directory fsync is best effort (not on every platform) */
    }
  }
}

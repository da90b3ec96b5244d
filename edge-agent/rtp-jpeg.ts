/**
 * RTP/JPEG (RFC 2435) in, one whole JPEG image out: what cameras and GStreamer's rtpjpegpay
 * send as Motion JPEG. The RTP payload carries only the entropy-coded scan and an 8-byte
 * header (type, Q, size in 8-pixel blocks); the JPEG headers are rebuilt as RFC 2435
 * appendix B does: quantization tables from the packet (Q ≥ 128) or scaled from the standard
 * tables (Q 1–99, appendix A), the standard Huffman tables (JPEG Annex K.3), a restart
 * interval for types 64–127.
 *
 * Types 0 (4:2:2) and 1 (4:2:0), and 64/65 with restart markers; others are refused. A gap in
 * sequence numbers, a fragment offset that does not follow on, or a frame over `maxBytes`
 * spoils that frame only. Memory: the frame being assembled (≤ maxBytes) and the tables.
 */
import type { KeyFrame, RtpPacket } from './rtp-depacketize.ts';

/** The standard luminance and chrominance quantization tables in zigzag order (RFC 2435 appendix A). */
const LUMA_Q = [
  16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56,
  80, 109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
];
const CHROMA_Q = [17, 18, 18, 24, 21, 24, 47, 26, 26, 47, 99, 66, 56, 66, 99, 99, ...new Array<number>(48).fill(99)];

/** One DHT segment with the four standard Huffman tables of JPEG Annex K.3 (DC/AC × luminance/chrominance). */
const STANDARD_DHT = Buffer.from(
  '/8QBogAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoLEAACAQMDAgQDBQUEBAAAAX0BAgMABBEFEiExQQYTUWEHInEUMoGRoQgjQrHBFVLR8CQzYnKCCQoWFxgZGiUmJygpKjQ1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4eLj5OXm5+jp6vHy8/T19vf4+foBAAMBAQEBAQEBAQEAAAAAAAABAgMEBQYHCAkKCxEAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6',
  'base64',
);

/** Tables for Q 1–99: the standard ones scaled as the IJG library does (RFC 2435 appendix A). */
export function scaledTables(q: number): Buffer {
  const factor = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
  const scale = (v: number): number => Math.min(255, Math.max(1, Math.floor((v * factor + 50) / 100)));
  return Buffer.from([...LUMA_Q.map(scale), ...CHROMA_Q.map(scale)]);
}

const marker = (code: number, body: Buffer): Buffer => {
  const head = Buffer.from([0xff, code, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
};

/**
 * The JPEG headers (SOI … SOS) for a frame of RFC 2435 `type` (0/1, restart flag removed),
 * `width`×`height` pixels, tables (64 bytes each, 8-bit; `precision` bit i = table i is 16-bit),
 * restart interval `dri` (0 = none).
 */
export function jpegHeaders(type: number, width: number, height: number, tables: Buffer, precision: number, dri: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  let at = 0;
  for (let id = 0; id < 2 && at < tables.length; id++) {
    const size = precision & (1 << id) ? 128 : 64;
    parts.push(marker(0xdb, Buffer.concat([Buffer.from([(((precision >> id) & 1) << 4) | id]), tables.subarray(at, at + size)])));
    at += size;
  }
  if (dri > 0) parts.push(marker(0xdd, Buffer.from([dri >> 8, dri & 0xff])));
  const sof = Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 0, type === 0 ? 0x21 : 0x22, 0, 1, 0x11, 1, 2, 0x11, 1]);
  parts.push(marker(0xc0, sof), STANDARD_DHT);
  parts.push(marker(0xda, Buffer.from([3, 0, 0x00, 1, 0x11, 2, 0x11, 0, 63, 0])));
  return Buffer.concat(parts);
}

export class JpegFrameAssembler {
  private parts: Buffer[] = [];
  private bytes = 0;
  private spoiled = false;
  private timestamp: number | null = null;
  private lastSeq: number | null = null;
  private header: Buffer | null = null;
  /** tables sent in-band for Q 128–254, which later frames may omit */
  private readonly tablesByQ = new Map<number, { tables: Buffer; precision: number }>();
  readonly seen = { packets: 0, dropped: 0 };

  constructor(
    readonly payloadType: number,
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  /** Feed one RTP packet; returns the first complete JPEG image, else null. */
  push(pkt: RtpPacket): KeyFrame | null {
    if (pkt.payloadType !== this.payloadType) return null;
    this.seen.packets++;
    const gap = this.lastSeq !== null && pkt.seq !== (this.lastSeq + 1) % 0x10000;
    this.lastSeq = pkt.seq;
    if (this.timestamp !== pkt.timestamp) this.reset(pkt.timestamp);
    if (gap) this.spoil();
    this.take(pkt.payload);
    return pkt.marker ? this.finish() : null;
  }

  private reset(timestamp: number): void {
    if (this.bytes > 0 && !this.spoiled) this.seen.dropped++; // a frame whose last packet never came
    this.parts = [];
    this.bytes = 0;
    this.spoiled = false;
    this.header = null;
    this.timestamp = timestamp;
  }

  private spoil(): void {
    this.spoiled = true;
    this.parts = [];
    this.bytes = 0;
  }

  private take(p: Buffer): void {
    if (this.spoiled) return;
    if (p.length < 8) return this.spoil();
    const offset = ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0);
    const rawType = p[4] ?? 0;
    const q = p[5] ?? 0;
    const width = (p[6] ?? 0) * 8;
    const height = (p[7] ?? 0) * 8;
    let i = 8;
    let dri = 0;
    if (rawType >= 64 && rawType <= 127) {
      if (p.length < i + 4) return this.spoil();
      dri = p.readUInt16BE(i);
      i += 4;
    }
    const type = rawType & 0x3f;
    if (offset !== this.bytes) return this.spoil(); // joined mid-frame, or a fragment lost
    if (offset === 0) {
      if ((type !== 0 && type !== 1) || width === 0 || height === 0 || q === 0) return this.spoil();
      let tables: Buffer;
      let precision = 0;
      if (q >= 128) {
        if (p.length < i + 4) return this.spoil();
        precision = p[i + 1] ?? 0;
        const length = p.readUInt16BE(i + 2);
        i += 4;
        if (p.length < i + length) return this.spoil();
        if (length > 0) {
          tables = Buffer.from(p.subarray(i, i + length));
          if (q < 255) this.tablesByQ.set(q, { tables, precision });
        } else {
          const known = this.tablesByQ.get(q);
          if (!known) return this.spoil();
          tables = known.tables;
          precision = known.precision;
        }
        i += length;
      } else tables = scaledTables(q);
      this.header = jpegHeaders(type, width, height, tables, precision, dri);
    }
    const data = p.subarray(i);
    this.bytes += data.length;
    if (this.bytes > this.maxBytes) return this.spoil();
    this.parts.push(Buffer.from(data));
  }

  private finish(): KeyFrame | null {
    const ok = !this.spoiled && this.header !== null && this.bytes > 0;
    const header = this.header;
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    this.header = null;
    this.timestamp = null;
    if (!ok || header === null) {
      this.seen.dropped++;
      this.spoiled = false;
      return null;
    }
    const scan = Buffer.concat(parts);
    const ends = scan.length >= 2 && scan[scan.length - 2] === 0xff && scan[scan.length - 1] === 0xd9;
    return { codec: 'jpeg', accessUnit: Buffer.concat([header, scan, ends ? Buffer.alloc(0) : Buffer.from([0xff, 0xd9])]) };
  }
}

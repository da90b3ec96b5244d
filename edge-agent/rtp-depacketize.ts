/**
 * RTP (RFC 3550) packets of one video stream in, the first complete key frame out, as an
 * Annex-B access unit a decoder reads from a pipe: the parameter sets first (in decoding
 * order, the last sent of each kind), then the frame's other NAL units (delimiters dropped),
 * each after a 00 00 00 01 start code.
 *
 * - H.264 (RFC 6184): single NAL unit packets, STAP-A (24), FU-A (28); key frame = IDR (5);
 *   parameter sets SPS (7), PPS (8).
 * - H.265 (RFC 7798, no DONL): single, AP (48), FU (49); key frame = IRAP (16–21);
 *   parameter sets VPS (32), SPS (33), PPS (34).
 * Parameter sets come from the SDP and are replaced by those sent in-band.
 *
 * An access unit ends at the marker bit or when the timestamp changes. A lost packet (a gap
 * in sequence numbers), an unknown packetization, or an access unit over `maxBytes` spoils
 * that access unit only: it is dropped and the next key frame awaited. Memory is bounded by
 * `maxBytes` (the access unit being assembled) plus the few parameter sets kept.
 */
import type { VideoCodec } from './rtsp-sdp.ts';

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** The RTP packet in `buf`, or null when it is not one (wrong version, lengths that do not fit). */
export function parseRtp(buf: Buffer): RtpPacket | null {
  if (buf.length < 12) return null;
  const b0 = buf[0] ?? 0;
  if (b0 >> 6 !== 2) return null;
  let offset = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (buf.length < offset + 4) return null;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  let end = buf.length;
  if (b0 & 0x20) end -= buf[buf.length - 1] ?? 0;
  if (offset > end) return null;
  const b1 = buf[1] ?? 0;
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    seq: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

const START_CODE = Buffer.from([0, 0, 0, 1]);
/** Most parameter sets of one kind kept, and the longest (bytes). */
const MAX_SET_BYTES = 1024;

interface CodecRules {
  /** NAL unit type of a NAL unit (from its first byte or two) */
  type(nal: Buffer): number;
  headerBytes: number;
  aggregation: number;
  fragmentation: number;
  isKey(type: number): boolean;
  /** the parameter set kinds in decoding order */
  setTypes: readonly number[];
  /** access unit delimiter */
  delimiter: number;
  /** the NAL header of the fragmented unit, rebuilt from the FU packet's first bytes */
  fuHeader(payload: Buffer): Buffer;
}

const H264: CodecRules = {
  type: (nal) => (nal[0] ?? 0) & 0x1f,
  headerBytes: 1,
  aggregation: 24,
  fragmentation: 28,
  isKey: (t) => t === 5,
  setTypes: [7, 8],
  delimiter: 9,
  fuHeader: (p) => Buffer.from([((p[0] ?? 0) & 0xe0) | ((p[1] ?? 0) & 0x1f)]),
};

const H265: CodecRules = {
  type: (nal) => ((nal[0] ?? 0) >> 1) & 0x3f,
  headerBytes: 2,
  aggregation: 48,
  fragmentation: 49,
  isKey: (t) => t >= 16 && t <= 21,
  setTypes: [32, 33, 34],
  delimiter: 35,
  fuHeader: (p) => Buffer.from([((p[0] ?? 0) & 0x81) | (((p[2] ?? 0) & 0x3f) << 1), p[1] ?? 0]),
};

/**
 * Does this payload start an access unit? Its first NAL unit is a parameter set, an access
 * unit delimiter or SEI, or the first slice of a picture (first_mb_in_slice = 0 in H.264,
 * first_slice_segment_in_pic_flag in H.265: the first bit after the NAL header).
 */
export function beginsAccessUnit(codec: VideoCodec, p: Buffer): boolean {
  if (codec === 'h264') {
    let type = (p[0] ?? 0) & 0x1f;
    let slice = p[1] ?? 0;
    if (type === 24) {
      type = (p[3] ?? 0) & 0x1f;
      slice = p[4] ?? 0;
    } else if (type === 28) {
      if (((p[1] ?? 0) & 0x80) === 0) return false;
      type = (p[1] ?? 0) & 0x1f;
      slice = p[2] ?? 0;
    }
    if (type >= 6 && type <= 9) return true;
    return (type === 1 || type === 5) && (slice & 0x80) !== 0;
  }
  let type = ((p[0] ?? 0) >> 1) & 0x3f;
  let slice = p[2] ?? 0;
  if (type === 48) {
    type = ((p[4] ?? 0) >> 1) & 0x3f;
    slice = p[6] ?? 0;
  } else if (type === 49) {
    if (((p[2] ?? 0) & 0x80) === 0) return false;
    type = (p[2] ?? 0) & 0x3f;
    slice = p[3] ?? 0;
  }
  if ((type >= 32 && type <= 35) || type === 39) return true;
  return type <= 31 && (slice & 0x80) !== 0;
}

export interface KeyFrame {
  codec: VideoCodec;
  /** Annex-B: start code + NAL unit, parameter sets first */
  accessUnit: Buffer;
}

export class KeyFrameAssembler {
  private readonly rules: CodecRules;
  private readonly sets = new Map<number, Buffer>();
  private nals: Buffer[] = [];
  private bytes = 0;
  private spoiled = false;
  private timestamp: number | null = null;
  private lastSeq: number | null = null;
  /** the FU being reassembled: its parts, null when none */
  private fu: Buffer[] | null = null;
  private fuBytes = 0;
  /** packets seen, access units dropped (counters for the caller's detail) */
  readonly seen = { packets: 0, dropped: 0 };

  constructor(
    readonly codec: VideoCodec,
    readonly payloadType: number,
    sdpParameterSets: readonly Buffer[],
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {
    this.rules = codec === 'h264' ? H264 : H265;
    for (const s of sdpParameterSets) this.keepSet(s);
  }

  /** Feed one RTP packet; returns the first complete key frame, else null. */
  push(pkt: RtpPacket): KeyFrame | null {
    if (pkt.payloadType !== this.payloadType) return null;
    this.seen.packets++;
    // a lost packet may belong to the access unit being closed or to the one it starts: both are dropped
    const first = this.lastSeq === null;
    const gap = !first && pkt.seq !== ((this.lastSeq ?? 0) + 1) % 0x10000;
    this.lastSeq = pkt.seq;
    if (gap) this.spoil();
    let done: KeyFrame | null = null;
    if (this.timestamp !== null && pkt.timestamp !== this.timestamp) done = this.finish();
    if (gap) this.spoil();
    this.timestamp = pkt.timestamp;
    this.depacketize(pkt.payload);
    // joined mid-stream: the first access unit counts only if this packet starts one
    if (first && !beginsAccessUnit(this.codec, pkt.payload)) this.spoil();
    if (pkt.marker && done === null) done = this.finish();
    return done;
  }

  private depacketize(p: Buffer): void {
    const r = this.rules;
    if (p.length < r.headerBytes + 1) return this.spoil();
    const type = r.type(p);
    if (type === r.aggregation) {
      let i = r.headerBytes;
      while (i + 2 <= p.length) {
        const len = p.readUInt16BE(i);
        i += 2;
        if (len === 0 || i + len > p.length) return this.spoil();
        this.addNal(p.subarray(i, i + len));
        i += len;
      }
      return;
    }
    if (type === r.fragmentation) {
      const fuByte = p[r.headerBytes] ?? 0;
      const data = p.subarray(r.headerBytes + 1);
      if (fuByte & 0x80) {
        const header = r.fuHeader(p);
        this.fu = [header, data];
        this.fuBytes = header.length + data.length;
      } else if (this.fu) {
        this.fu.push(data);
        this.fuBytes += data.length;
      } else return this.spoil(); // a middle or end without its start
      if (this.bytes + this.fuBytes > this.maxBytes) return this.spoil();
      if (fuByte & 0x40) {
        const nal = Buffer.concat(this.fu);
        this.fu = null;
        this.fuBytes = 0;
        this.addNal(nal);
      }
      return;
    }
    if ((this.codec === 'h264' && type >= 1 && type <= 23) || (this.codec === 'h265' && type < 48)) return this.addNal(p);
    this.spoil(); // STAP-B, MTAP, FU-B, PACI: not what cameras send
  }

  private addNal(nal: Buffer): void {
    if (nal.length < this.rules.headerBytes) return;
    if (this.rules.setTypes.includes(this.rules.type(nal))) this.keepSet(nal);
    this.bytes += START_CODE.length + nal.length;
    if (this.bytes > this.maxBytes) return this.spoil();
    this.nals.push(Buffer.from(nal));
  }

  private keepSet(nal: Buffer): void {
    if (nal.length >= this.rules.headerBytes && nal.length <= MAX_SET_BYTES) this.sets.set(this.rules.type(nal), Buffer.from(nal));
  }

  private spoil(): void {
    this.spoiled = true;
    this.fu = null;
    this.fuBytes = 0;
    this.nals = [];
    this.bytes = 0;
  }

  /** Close the current access unit: a key frame if it is whole, has a key NAL and all parameter sets. */
  private finish(): KeyFrame | null {
    const nals = this.nals;
    const spoiled = this.spoiled || this.fu !== null;
    this.nals = [];
    this.bytes = 0;
    this.fu = null;
    this.fuBytes = 0;
    this.spoiled = false;
    this.timestamp = null;
    if (spoiled) {
      this.seen.dropped++;
      return null;
    }
    const r = this.rules;
    if (!nals.some((n) => r.isKey(r.type(n)))) return null;
    if (!r.setTypes.every((t) => this.sets.has(t))) return null;
    // parameter sets first, in decoding order and as last sent (a decoder given a PPS before
    // its SPS refuses the stream: joined between the two, a unit can hold them out of order);
    // access unit delimiters dropped (they would have to come first)
    const parts: Buffer[] = [];
    for (const t of r.setTypes) {
      const set = this.sets.get(t);
      if (set) parts.push(START_CODE, set);
    }
    for (const n of nals) {
      const t = r.type(n);
      if (t !== r.delimiter && !r.setTypes.includes(t)) parts.push(START_CODE, n);
    }
    return { codec: this.codec, accessUnit: Buffer.concat(parts) };
  }
}

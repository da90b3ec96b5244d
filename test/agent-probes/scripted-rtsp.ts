/**
 * A scripted RTSP camera for the frame session's tests: each request goes to `answer`, which
 * returns the reply (status line and headers; CSeq added); after a PLAY 200 the camera sends
 * the RTP packets it was given, interleaved on the connection or by UDP to the client_port
 * the SETUP asked for. And an RTP packetizer (RFC 6184 / 7798: single NAL unit, STAP-A / AP,
 * FU-A / FU), written apart from the agent's depacketizer.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

export interface ScriptedRequest {
  method: string;
  uri: string;
  headers: Map<string, string>;
}

export interface ScriptedReply {
  status: string;
  headers?: string[];
  body?: string;
  /** hang up after this reply */
  close?: boolean;
}

export interface ScriptedCamera {
  port: number;
  url: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

/** Split Annex-B bytes into NAL units (without start codes). */
export function nalUnits(annexB: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = -1;
  for (let i = 0; i + 2 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1) {
      if (start >= 0) {
        let end = i;
        while (end > start && annexB[end - 1] === 0) end--;
        out.push(annexB.subarray(start, end));
      }
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0) out.push(annexB.subarray(start));
  return out;
}

export interface PacketizeOptions {
  codec: 'h264' | 'h265';
  payloadType?: number;
  /** largest RTP payload */
  mtu?: number;
  seq?: number;
  timestamp?: number;
  /** put parameter sets (H.264 7/8, H.265 32/33/34) together in one aggregation packet */
  aggregateSets?: boolean;
}

/** RTP packets for one access unit; the marker bit on its last packet. */
export function packetize(nals: Buffer[], o: PacketizeOptions): Buffer[] {
  const pt = o.payloadType ?? 96;
  const mtu = o.mtu ?? 1200;
  let seq = o.seq ?? 1000;
  const ts = o.timestamp ?? 90_000;
  const h265 = o.codec === 'h265';
  const type = (n: Buffer): number => (h265 ? ((n[0] ?? 0) >> 1) & 0x3f : (n[0] ?? 0) & 0x1f);
  const isSet = (n: Buffer): boolean => (h265 ? [32, 33, 34].includes(type(n)) : [7, 8].includes(type(n)));
  const payloads: Buffer[] = [];
  const sets = o.aggregateSets ? nals.filter(isSet) : [];
  if (sets.length > 0) {
    const parts: Buffer[] = [h265 ? Buffer.from([48 << 1, 1]) : Buffer.from([24])];
    for (const s of sets) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(s.length);
      parts.push(len, s);
    }
    payloads.push(Buffer.concat(parts));
  }
  for (const n of nals) {
    if (sets.includes(n)) continue;
    if (n.length <= mtu) {
      payloads.push(n);
      continue;
    }
    const hdr = h265 ? 2 : 1;
    const body = n.subarray(hdr);
    for (let off = 0; off < body.length; off += mtu) {
      const first = off === 0;
      const last = off + mtu >= body.length;
      const fu = (first ? 0x80 : 0) | (last ? 0x40 : 0) | type(n);
      const head = h265 ? Buffer.from([(49 << 1) | ((n[0] ?? 0) & 0x81), n[1] ?? 1, fu]) : Buffer.from([((n[0] ?? 0) & 0xe0) | 28, fu]);
      payloads.push(Buffer.concat([head, body.subarray(off, off + mtu)]));
    }
  }
  return payloads.map((p, i) => {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (i === payloads.length - 1 ? 0x80 : 0) | pt;
    h.writeUInt16BE(seq++ & 0xffff, 2);
    h.writeUInt32BE(ts >>> 0, 4);
    h.writeUInt32BE(0x1234abcd, 8);
    return Buffer.concat([h, p]);
  });
}

/** An H.264 SDP with one video stream at `trackID=1`. */
export function h264Sdp(sprop = 'Z2QAKKw7UDwBE/LCAAAH0AAA6mEI,aOqPLA=='): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=Scripted',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${sprop}`,
    'a=control:trackID=1',
    '',
  ].join('\r\n');
}

function parseRequest(head: string): ScriptedRequest {
  const lines = head.split('\r\n');
  const [method = '', uri = ''] = (lines[0] ?? '').split(' ');
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
  }
  return { method, uri, headers };
}

/**
 * `answer(req, n)`: n counts requests of that method on this camera. `rtp`: the packets sent
 * after a PLAY answered 200.
 */
export async function startScriptedCamera(answer: (req: ScriptedRequest, n: number) => ScriptedReply, rtp: Buffer[] = []): Promise<ScriptedCamera> {
  const requests: ScriptedRequest[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    let clientPort: number | null = null;
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf[0] === 0x24 && buf.length >= 4) {
          const len = buf.readUInt16BE(2);
          if (buf.length < 4 + len) return;
          buf = buf.subarray(4 + len);
          continue;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const req = parseRequest(buf.toString('latin1', 0, end));
        buf = buf.subarray(end + 4);
        requests.push(req);
        const n = (counts.get(req.method) ?? 0) + 1;
        counts.set(req.method, n);
        const transport = req.headers.get('transport') ?? '';
        const cp = /client_port=(\d+)/.exec(transport);
        if (req.method === 'SETUP' && cp) clientPort = Number(cp[1]);
        const reply = answer(req, n);
        let out = `RTSP/1.0 ${reply.status}\r\nCSeq: ${req.headers.get('cseq') ?? '0'}\r\n`;
        for (const h of reply.headers ?? []) out += `${h}\r\n`;
        if (reply.body) out += `Content-Length: ${Buffer.byteLength(reply.body)}\r\n`;
        socket.write(`${out}\r\n${reply.body ?? ''}`);
        if (reply.close) {
          socket.end();
          return;
        }
        if (req.method === 'PLAY' && reply.status.startsWith('200')) {
          const port = clientPort;
          for (const p of rtp) {
            if (port !== null) udp.send(p, port, '127.0.0.1');
            else {
              const h = Buffer.from([0x24, 0, 0, 0]);
              h.writeUInt16BE(p.length, 2);
              socket.write(Buffer.concat([h, p]));
            }
          }
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `rtsp://127.0.0.1:${port}/cam`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        udp.close();
        server.close(() => r());
      }),
  };
}

/**
 * Debian's RTSP::Server (test/support/rtsp-server-perl.pl) for a test file, with a source
 * feeding it: ANNOUNCE an H.264 SDP, SETUP, RECORD, then one encoded key frame (the bundled
 * ffmpeg's test pattern) re-sent as RTP over UDP every 100 ms, as a camera's encoder would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RtspConnection } from '../../edge-agent/probes/rtsp-wire.ts';
import { PERL } from '../support/peers.ts';
import { encodedKeyFrame } from './encoded-frame.ts';
import { nalUnits, packetize } from './scripted-rtsp.ts';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../support/rtsp-server-perl.pl');

export interface PerlRtspServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

function startProcess(args: string[]): Promise<{ child: ChildProcess }> {
  return new Promise((ok, fail) => {
    const child = spawn(PERL, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`rtsp-server-perl did not print READY in 10 s: ${err.slice(0, 500)}`));
    }, 10_000);
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`rtsp-server-perl exited (${code}): ${err.slice(0, 500)}`));
    });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (!/READY \d+ \d+/.test(out)) return;
      clearTimeout(timer);
      ok({ child });
    });
  });
}

export async function startPerlRtspServer(opts: { maxClients?: number } = {}): Promise<PerlRtspServer> {
  const [clientPort, sourcePort] = [await freePort(), await freePort()];
  // RTSP::Server hands out RTP ports counting up from here (sources and clients alike)
  const rtpStart = 30_000 + 2 * Math.floor(Math.random() * 10_000);
  const args = ['--clientport', String(clientPort), '--serverport', String(sourcePort), '--rtp_start_port', String(rtpStart)];
  if (opts.maxClients !== undefined) args.push('--max_clients', String(opts.maxClients));
  const { child } = await startProcess(args);

  // the source: ANNOUNCE, SETUP, RECORD on the source port, then RTP to the server_port given
  const nals = nalUnits(encodedKeyFrame('h264'));
  const t = (n: Buffer) => (n[0] ?? 0) & 0x1f;
  const b64 = (type: number) => nals.find((n) => t(n) === type)?.toString('base64') ?? '';
  const sdp = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=Test pattern',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${b64(7)},${b64(8)}`,
    'a=control:streamid=0',
    '',
  ].join('\r\n');
  const base = `rtsp://127.0.0.1:${sourcePort}/stream`;
  const src = new RtspConnection('127.0.0.1', sourcePort);
  await src.ready;
  let cseq = 1;
  const ask = async (line: string, headers: string[], body = ''): Promise<{ status: number; transport: string; session: string | undefined }> => {
    let s = `${line} RTSP/1.0\r\nCSeq: ${cseq++}\r\n`;
    for (const h of headers) s += `${h}\r\n`;
    if (body) s += `Content-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    const r = await src.request(`${s}\r\n${body}`);
    if (r.status !== 200) throw new Error(`source ${line}: RTSP ${r.status}`);
    return { status: r.status, transport: r.headers.get('transport')?.[0] ?? '', session: r.headers.get('session')?.[0] };
  };
  const rtp = createSocket('udp4');
  await new Promise<void>((ok) => rtp.bind(0, '127.0.0.1', () => ok()));
  const localPort = rtp.address().port;
  await ask(`ANNOUNCE ${base}`, [], sdp);
  const setup = await ask(`SETUP ${base}/streamid=0`, [`Transport: RTP/AVP;unicast;client_port=${localPort}-${localPort + 1};mode=record`]);
  const serverPort = Number(/server_port=(\d+)/.exec(setup.transport)?.[1]);
  await ask(`RECORD ${base}`, setup.session ? [`Session: ${setup.session}`] : []);
  let seq = 1;
  let ts = 0;
  const send = (): void => {
    const pkts = packetize(nals, { codec: 'h264', seq, timestamp: ts });
    seq = (seq + pkts.length) & 0xffff;
    ts = (ts + 9000) >>> 0;
    for (const p of pkts) rtp.send(p, serverPort, '127.0.0.1');
  };
  send();
  const timer = setInterval(send, 100);

  return {
    port: clientPort,
    url: `rtsp://127.0.0.1:${clientPort}/stream`,
    stop: () =>
      new Promise<void>((done) => {
        clearInterval(timer);
        rtp.close();
        src.close();
        if (child.exitCode !== null) return done();
        const hard = setTimeout(() => child.kill('SIGKILL'), 3_000);
        child.once('exit', () => {
          clearTimeout(hard);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}

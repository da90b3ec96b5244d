/** Start/stop the real GStreamer RTSP server (test/support/gst-rtsp-server.py) for a test file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON3 } from '../support/peers.ts';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../support/gst-rtsp-server.py');

export interface GstServer {
  port: number;
  codec: string;
  url: string;
  stop(): Promise<void>;
}

export interface GstServerOptions {
  /** h264 (default when x264enc is there), h265, jpeg */
  codec?: 'h264' | 'h265' | 'jpeg';
  /** the session pool's limit (GstRTSPSessionPool max_sessions): a camera at its client limit */
  maxSessions?: number;
  /** RTP over UDP only: a SETUP asking for TCP-interleaved is answered 461 */
  udpOnly?: boolean;
}

export function startGstServer(user: string, password: string, path = '/stream', opts: GstServerOptions = {}): Promise<GstServer> {
  const args = [SCRIPT, '--port', '0', '--user', user, '--password', password, '--path', path];
  if (opts.codec) args.push('--codec', opts.codec);
  if (opts.maxSessions !== undefined) args.push('--max-sessions', String(opts.maxSessions));
  if (opts.udpOnly) args.push('--udp-only');
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn(PYTHON3, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gst-rtsp-server did not print READY in 15 s: ${err.slice(0, 500)}`));
    }, 15_000);
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gst-rtsp-server exited (${code}): ${err.slice(0, 500)}`));
    });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\d+) (\w+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const port = Number(m[1]);
      resolvePromise({
        port,
        codec: m[2] ?? '',
        url: `rtsp://127.0.0.1:${port}${path}`,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            const hard = setTimeout(() => child.kill('SIGKILL'), 3_000);
            child.once('exit', () => {
              clearTimeout(hard);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

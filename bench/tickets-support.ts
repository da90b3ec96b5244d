/** Helpers for bench/tickets.ts: a county config with notify.yaml, a webhook receiver, the report-poster child. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { DemoCounty } from '../src/county/demo-county.ts';
import { writeDemoConfig } from '../src/county/demo-files.ts';
import { createLogger } from '../src/log.ts';

export const quiet = createLogger('bench', { write: () => true } as unknown as NodeJS.WritableStream);

/** config/ (demo county + notify.yaml) and data/ folders for one hub. */
export function ticketConfig(county: DemoCounty, notifyYaml: string): { configDir: string; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'se-bench-tickets-'));
  const configDir = join(dir, 'config');
  writeDemoConfig(configDir, county, (_c, i) => ({
    host: `127.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
    onvifPort: 80,
    onvifPath: '/onvif/device_service',
    rtspPort: 554,
    rtspPath: '/Streaming/Channels/101',
  }));
  writeFileSync(join(configDir, 'notify.yaml'), notifyYaml);
  return { configDir, dataDir: join(dir, 'data') };
}

export interface Receiver {
  url: string;
  /** performance.now() of the first 'opened' event naming each camera */
  openedAt: Map<string, number>;
  requests: number;
  close(): Promise<void>;
}

/** Webhook receiver on 127.0.0.1 (generic JSON format): records when each camera's ticket 'opened' arrived. */
export async function startReceiver(): Promise<Receiver> {
  const rx: Receiver = { url: '', openedAt: new Map(), requests: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const t = performance.now();
      rx.requests++;
      try {
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { event: string; ticket: { cameras: { code: string }[] } };
        if (body.event === 'opened') for (const c of body.ticket.cameras) if (!rx.openedAt.has(c.code)) rx.openedAt.set(c.code, t);
      } catch {
        /* counted in requests; the bench compares counts */
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0}');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  rx.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return rx;
}

export interface Poster {
  /** post `rounds` rounds of results for these cameras; resolves when the child has all acks */
  run(codes: string[], fault: 'unreachable' | null, rounds?: number, concurrency?: number): Promise<{ ok: number; failed: number; ms: number }>;
  stop(): void;
}

/** bench/tickets-load.ts in a child process, posting to the hub over loopback HTTP. */
export async function startPoster(url: string, token: string): Promise<Poster> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/tickets-load.ts', url, token], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    for (const w of waiting.splice(0)) w('{"ok":0,"failed":-1,"ms":0}');
  });
  return {
    run(codes, fault, rounds = 1, concurrency = 4) {
      if (exited) return Promise.reject(new Error('report poster exited'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('report poster: no answer in 150 s')), 150_000);
        waiting.push((l) => {
          clearTimeout(timer);
          resolve(JSON.parse(l) as { ok: number; failed: number; ms: number });
        });
        child.stdin!.write(JSON.stringify({ codes, fault, rounds, concurrency }) + '\n');
      });
    },
    stop() {
      child.stdin!.end();
      setTimeout(() => !exited && child.kill('SIGTERM'), 2000).unref();
    },
  };
}

export async function until(cond: () => boolean, limitMs: number, what: string): Promise<void> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${limitMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Event-loop blocking of the agent's readers of camera replies, on crafted 256 KB bodies (the
 * SOAP answer cap): many unclosed tags, tags that never end, long attribute runs, `<` floods,
 * deep nesting, a chunked body of one-byte chunks dribbled in small writes. A reader that is
 * linear takes a few milliseconds on 256 KB; the regex readers took 0.4–10 s on some of these
 * (measured and printed here). The bounds are generous (a loaded 2-core machine), the failure
 * they catch is two orders of magnitude above them.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { soapPost } from '../../edge-agent/probes/soap-http.ts';
import { firstProfileToken, isAuthFailure, mediaXAddr, parseDeviceInformation, parseSystemDateAndTime, snapshotUriOf, soapFaultCodes } from '../../edge-agent/probes/soap-parse.ts';
import { CRAFTED_BODIES } from './hostile-xml.ts';

/** what a reader may block the event loop for, per 256 KB body (a linear reader: ≈ 1–5 ms) */
const BLOCK_BOUND_MS = 150;

const READERS: Record<string, (xml: string) => unknown> = {
  parseSystemDateAndTime,
  parseDeviceInformation,
  soapFaultCodes,
  isAuthFailure: (xml) => isAuthFailure(500, xml),
  // the snapshot source's (the regexes they replace took 3.3 s on 'Media tags never reaching >', 2.3 s on 'Profiles tags without a token')
  mediaXAddr,
  firstProfileToken,
  snapshotUriOf,
};

function blockedMs(f: () => unknown): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

describe('SOAP readers on crafted 256 KB bodies', () => {
  it.each(Object.keys(CRAFTED_BODIES))('%s: every reader returns within the bound', (name) => {
    const body = CRAFTED_BODIES[name]!;
    expect(body.length).toBeGreaterThan(250 * 1024);
    const took: Record<string, number> = {};
    for (const [reader, f] of Object.entries(READERS)) {
      // a reply of its own per reader (the readers share the scan of one reply)
      const own = `${body}<!--${reader}-->`;
      let returned = false;
      took[reader] =
        Math.round(
          blockedMs(() => {
            f(own); // a reader returns (null / false / a value); it never throws on hostile input
            returned = true;
          }) * 10,
        ) / 10;
      expect(returned).toBe(true);
    }
    console.log(`blocking ms, ${name}: ${JSON.stringify(took)}`);
    for (const [reader, ms] of Object.entries(took)) expect(ms, `${reader} on ${name}`).toBeLessThan(BLOCK_BOUND_MS);
  });
});

describe('the HTTP reader under a dribbled answer', () => {
  /** A camera that answers `text` in 256-byte writes, one per turn of its event loop, then keeps the connection open. */
  async function dribbling(text: string): Promise<{ port: number; close(): Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.once('data', async () => {
        for (let i = 0; i < text.length && !s.destroyed; i += 256) {
          s.write(text.slice(i, i + 256));
          await new Promise((r) => setImmediate(r));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return {
      port,
      close: () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    };
  }

  const N = 250 * 1024;
  it.each([
    ['one-byte chunks', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + '1\r\nx\r\n'.repeat(Math.floor(N / 6)) + '0\r\n\r\n', 'ok'],
    ['a 250 KB header block', 'HTTP/1.1 200 OK\r\n' + 'X-A: b\r\n'.repeat(Math.floor(N / 8)) + '\r\n', 'fail head too large'],
    ['a flood of 100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(Math.floor(N / 25)) + 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'fail too many interim responses'],
  ] as const)('%s: the whole exchange costs little CPU', { timeout: 60_000 }, async (_name, text, outcome) => {
    const cam = await dribbling(text);
    try {
      const cpu0 = process.cpuUsage();
      const r = await soapPost({ host: '127.0.0.1', port: cam.port, path: '/', body: '<x/>', timeoutMs: 30_000 }).then(
        () => 'ok',
        (e: { code: string }) => `fail ${e.code}`,
      );
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
      console.log(`dribbled ${_name}: ${r}, agent CPU ${cpuMs} ms`);
      expect(r).toBe(outcome);
      expect(cpuMs).toBeLessThan(1500);
    } finally {
      await cam.close();
    }
  });
});

/**
 * Rules: (1) a user holds at most N ticket streams and N live sockets at once (caps set to 2
 * here; the defaults are 8): the one over the cap is refused — the stream with 429 and a
 * message, the socket with an error message and close code 4429 — and other users are not
 * affected; closing one makes room. (2) /api/live reads at most 4 KB per frame before the
 * socket has authenticated: a bigger frame closes it with 1009 as soon as its header arrives
 * (a frame announcing 2 MB is refused before one byte of its payload is sent); after
 * authentication 4–64 KB is answered with an error and the socket stays, above 64 KB it closes.
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { login } from '../support/reports.ts';
import { USERS } from '../support/tiny-county.ts';
import { until } from '../support/wait.ts';
import { openSocket, openStream } from './channel-clients.ts';

describe('channels per user and frame sizes on /api/live', () => {
  let t: TestHub;
  let base = '';
  let port = 0;
  beforeAll(async () => {
    t = await startTestHub('pglite', { sessions: { channelCaps: { ticketStreamsPerUser: 2, liveSocketsPerUser: 2 } } });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.hub.app.server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => t?.close());

  it('the third ticket stream of a user gets 429; another user is not affected; closing one makes room', async () => {
    const a = await login(t.hub.app, USERS.crewA);
    const a2 = await login(t.hub.app, USERS.crewA); // a second session of the same user counts too
    const s1 = await openStream(base, a);
    const s2 = await openStream(base, a2);
    const s3 = await openStream(base, a);
    expect([s1.status, s2.status, s3.status]).toEqual([200, 200, 429]);
    expect(JSON.parse(s3.body)).toMatchObject({ statusCode: 429, message: 'at most 2 open ticket streams per user; close one first' });
    const b = await openStream(base, await login(t.hub.app, USERS.crewB));
    expect(b.status).toBe(200);
    s1.close();
    await until(() => t.hub.auth.channels.count('crew-a', 'ticket_stream') === 1, 2000, 'the closed stream released');
    const s4 = await openStream(base, a);
    expect(s4.status).toBe(200);
    for (const s of [s2, s4, b]) s.close();
  });

  it('the third live socket of a user is refused with too_many_channels and 4429', async () => {
    const w = await login(t.hub.app, USERS.worker);
    const v1 = await openSocket(base, w);
    const v2 = await openSocket(base, w);
    const v3 = await openSocket(base, w);
    expect([v1.messages[0]?.type, v2.messages[0]?.type]).toEqual(['ready', 'ready']);
    expect(v3.messages[0]).toEqual({ type: 'error', code: 'too_many_channels', message: 'at most 2 open live sockets per user; close one first' });
    await until(() => v3.closed !== null, 2000, 'the refused socket closed');
    expect(v3.closed).toMatchObject({ code: 4429, reason: 'too many live sockets for this user' });
    // ticket streams are counted apart: the worker may still open one
    const s = await openStream(base, w);
    expect(s.status).toBe(200);
    s.close();
    v1.ws.close();
    await until(() => t.hub.auth.channels.count('worker-1', 'live_socket') === 1, 2000, 'the closed socket released');
    const v4 = await openSocket(base, w);
    expect(v4.messages[0]?.type).toBe('ready');
    v2.ws.close();
    v4.ws.close();
  });

  it('before authentication a 5 KB message closes the socket with 1009 (no answer, no buffering)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`);
    const answers: string[] = [];
    ws.on('message', (d) => answers.push(d.toString()));
    await new Promise<void>((r) => ws.once('open', () => r()));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('x'.repeat(5000));
    expect(await closed).toBe(1009);
    expect(answers).toEqual([]);
  });

  it('before authentication a frame announcing 2 MB is refused at its header, before its payload is sent', async () => {
    const sock = await rawUpgrade(port);
    // FIN + text opcode; masked, 64-bit length = 2 MiB; then the 4-byte mask and no payload at all
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(2 * 1024 * 1024), 2);
    sock.write(header);
    const reply = await readUntilEnd(sock, 3000);
    // a close frame from the hub: opcode 0x8, status 1009 (Message Too Big)
    expect(reply[0]).toBe(0x88);
    expect(reply.readUInt16BE(2)).toBe(1009);
  });

  it('after authentication a 5 KB message is answered with an error and the socket stays; 70 KB closes it with 1009', async () => {
    const v = await openSocket(base, await login(t.hub.app, USERS.viewer));
    expect(v.messages[0]?.type).toBe('ready');
    v.ws.send('x'.repeat(5000));
    await until(() => v.messages.length >= 2, 2000, 'an answer');
    expect(v.messages[1]).toMatchObject({ type: 'error', code: 'bad_message', message: 'send JSON text messages of at most 4096 bytes' });
    expect(v.closed).toBeNull();
    v.ws.send('x'.repeat(70_000));
    await until(() => v.closed !== null, 2000, 'closed');
    expect(v.closed!.code).toBe(1009);
  });
});

/** A WebSocket upgrade of /api/live by hand, so the test can send a bare frame header. */
async function rawUpgrade(port: number): Promise<Socket> {
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(
    'GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const on = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', on);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.slice(0, 100)));
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length) sock.unshift(rest);
      resolve();
    };
    sock.on('data', on);
  });
  return sock;
}

/** Everything the peer sends until it closes the connection (bounded). */
function readUntilEnd(sock: Socket, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`the hub kept the socket open for ${timeoutMs} ms: ${Buffer.concat(parts).toString('hex').slice(0, 80)}`));
    }, timeoutMs);
    sock.on('data', (d: Buffer) => parts.push(d));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts));
    });
  });
}

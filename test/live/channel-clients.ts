/** Clients of a session's channels over real sockets: a ticket stream (SSE over fetch) and a live socket (WebSocket). */
import WebSocket from 'ws';
import { until } from '../support/wait.ts';

/** A ticket stream over fetch: its blocks as they come, and whether the hub ended it. */
export async function openStream(base: string, token: string) {
  const ctl = new AbortController();
  const res = await fetch(`${base}/api/tickets/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  const s = { status: res.status, body: res.status === 200 ? '' : await res.text(), blocks: [] as string[], ended: false, endedAt: 0, close: () => ctl.abort() };
  if (res.status !== 200) return s;
  const reader = res.body!.getReader();
  void (async () => {
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        s.blocks.push(buf.slice(0, i));
        buf = buf.slice(i + 2);
      }
    }
    s.ended = true;
    s.endedAt = Date.now();
  })();
  return s;
}

/** A live socket authenticated by header: its text messages and how it closed. */
export async function openSocket(base: string, token: string) {
  const ws = new WebSocket(`${base.replace('http:', 'ws:')}/api/live`, { headers: { authorization: `Bearer ${token}` } });
  const s = { ws, messages: [] as { type: string; code?: string; message?: string }[], closed: null as null | { code: number; reason: string; at: number } };
  ws.on('message', (d: Buffer, bin: boolean) => !bin && s.messages.push(JSON.parse(d.toString())));
  ws.on('close', (code, reason) => (s.closed = { code, reason: reason.toString(), at: Date.now() }));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await until(() => s.messages.length > 0 || s.closed !== null, 5000, 'the socket answers');
  return s;
}

/** The tcp rung: ok, refused, and a connect that never completes (full accept backlog). */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { tcpConnect } from '../../edge-agent/probes/tcp.ts';
import { itWithPeer, PYTHON3 } from '../support/peers.ts';
import { startSilentServer } from './fake-camera.ts';

/** A loopback listener with backlog 0 that never accepts: after one filler, SYNs go unanswered. */
async function fullBacklog(): Promise<{ port: number; stop: () => void }> {
  const py = spawn(
    PYTHON3,
    ['-c', ['import socket, time', "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)", 'print(s.getsockname()[1], flush=True)', 'time.sleep(30)'].join('\n')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) => py.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  const filler: Socket = connect(port, '127.0.0.1');
  filler.on('error', () => {});
  await new Promise((r) => filler.once('connect', r));
  return {
    port,
    stop: () => {
      filler.destroy();
      py.kill('SIGKILL');
    },
  };
}

describe('tcp rung', () => {
  it('connects → ok; closed port → fail ECONNREFUSED', async () => {
    const s = await startSilentServer();
    expect(await tcpConnect('127.0.0.1', s.port, 1000)).toEqual({ outcome: 'ok' });
    await s.close();
    expect(await tcpConnect('127.0.0.1', s.port, 1000)).toEqual({ outcome: 'fail', detail: 'ECONNREFUSED' });
  });

  itWithPeer('python3', 'SYN never answered → timeout at the rung timeout', async () => {
    const b = await fullBacklog();
    try {
      const t0 = Date.now();
      expect(await tcpConnect('127.0.0.1', b.port, 300)).toEqual({ outcome: 'timeout', detail: 'connect timeout' });
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(1000);
    } finally {
      b.stop();
    }
  });
});

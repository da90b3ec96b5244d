/**
 * Rung 1: a TCP connect to the camera's ONVIF port, with a timeout. With `keep`, the
 * connected socket is returned (not closed) so the onvif_time rung can use it.
 */
import { connect } from 'node:net';
import type { RungContext, RungProbe, RungReport } from './types.ts';
import { closeHard } from './socket-close.ts';

export function tcpConnect(host: string, port: number, timeoutMs: number, keep = false): Promise<RungReport> {
  return new Promise((resolve) => {
    let done = false;
    const socket = connect({ host, port });
    const finish = (r: RungReport): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      if (keep && r.outcome === 'ok') {
        socket.on('error', () => {}); // until the next rung takes it (or the ladder closes it)
        resolve({ ...r, socket });
        return;
      }
      closeHard(socket);
      resolve(r);
    };
    const onError = (err: NodeJS.ErrnoException): void => finish({ outcome: 'fail', detail: err.code ?? 'connect error' });
    const timer = setTimeout(() => finish({ outcome: 'timeout', detail: 'connect timeout' }), timeoutMs);
    socket.once('connect', () => finish({ outcome: 'ok' }));
    socket.once('error', onError);
  });
}

export const tcpProbe: RungProbe = {
  rung: 'tcp',
  usesCredentials: false,
  run: (ctx: RungContext) => tcpConnect(ctx.cam.host, ctx.cam.onvifPort, ctx.timeoutMs, true),
};

/**
 * Close a probe socket without leaving TIME_WAIT behind: an established TCP socket is
 * reset (RST); one still connecting (or already gone) is simply destroyed.
 */
import type { Socket } from 'node:net';

const noop = (): void => {};

export function closeHard(socket: Socket | null | undefined): void {
  if (!socket || socket.destroyed) return;
  socket.on('error', noop); // a reset may surface an error after we stopped listening
  if (socket.connecting) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/**
 * One TCP listening socket that can be switched off (connection refused, open sockets
 * destroyed) and on again at the same host:port. The port is sticky: when started with
 * port 0 the kernel picks one once and every later re-listen reuses it.
 * Only loopback hosts are accepted.
 */
import { createServer, type Server, type Socket } from 'node:net';

export type ConnectionHandler = (socket: Socket) => void;

export function assertLoopback(host: string): void {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new Error(`simulator binds loopback (127.0.0.0/8) only, not ${host}`);
}

export class Listener {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private wanted = false;
  private busy: Promise<void> = Promise.resolve();
  port: number;

  constructor(
    readonly host: string,
    port: number,
    private readonly onConnection: ConnectionHandler,
    /** destroy sockets idle this long (ms); guards against clients that never speak */
    private readonly idleMs = 120_000,
  ) {
    assertLoopback(host);
    this.port = port;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /** Switch on or off; calls are serialised, the promise settles when the socket state matches. */
  setWanted(on: boolean): Promise<void> {
    this.wanted = on;
    this.busy = this.busy.catch(() => undefined).then(() => this.apply());
    return this.busy;
  }

  /** Destroy every open connection (keeps listening). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private async apply(): Promise<void> {
    if (this.wanted && !this.server) await this.open();
    else if (!this.wanted && this.server) await this.shut();
  }

  private open(): Promise<void> {
    const server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.setTimeout(this.idleMs, () => socket.destroy());
      this.onConnection(socket);
    });
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen({ host: this.host, port: this.port, backlog: 511, exclusive: true }, () => {
        server.off('error', onError);
        server.on('error', () => undefined);
        const addr = server.address();
        if (addr !== null && typeof addr === 'object') this.port = addr.port;
        this.server = server;
        resolve();
      });
    });
  }

  private shut(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      this.dropConnections();
    });
  }
}

/** Serves the grid-worker page (`/worker`): one self-contained HTML file, read once at start. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const PAGE = readFileSync(new URL('./worker.html', import.meta.url));

export function workerPageRoutes() {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/worker', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', "default-src 'self'; img-src 'self' blob:; connect-src 'self' ws: wss:; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
        .send(PAGE),
    );
  };
}

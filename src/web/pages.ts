/**
 * The hub's two self-contained pages, read once at start: the crew board (/board) and the
 * grid-worker page (/worker). They talk to /api (and /api/live) only: each is served with a
 * content security policy that allows nothing from outside the hub.
 */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';

const PAGES = [
  {
    path: '/board',
    file: 'crew-board.html',
    csp: "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'",
  },
  {
    path: '/worker',
    file: 'worker.html',
    csp: "default-src 'self'; img-src 'self' blob:; connect-src 'self' ws: wss:; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
  },
] as const;

export const webPageRoutes = (): FastifyPluginAsync => async (app) => {
  for (const page of PAGES) {
    const body = readFileSync(new URL(`./${page.file}`, import.meta.url));
    app.get(page.path, { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy', page.csp).header('x-content-type-options', 'nosniff').send(body),
    );
  }
};

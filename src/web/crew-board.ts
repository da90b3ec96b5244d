/** Serves the crew board page (src/web/crew-board.html) at /board. The page talks to /api only. */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';

const PAGE = readFileSync(new URL('./crew-board.html', import.meta.url), 'utf8');

export const crewBoardRoutes = (): FastifyPluginAsync => async (app) => {
  app.get('/board', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'")
      .header('x-content-type-options', 'nosniff')
      .send(PAGE),
  );
};

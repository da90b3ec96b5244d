/** GET /metrics: the Prometheus text exposition, rendered from in-memory state at scrape time. */
import type { FastifyPluginAsync } from 'fastify';

export const metricsRoutes =
  (render: () => Promise<{ contentType: string; body: string }>): FastifyPluginAsync =>
  async (app) => {
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      const m = await render();
      return reply.type(m.contentType).send(m.body);
    });
  };

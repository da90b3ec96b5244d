/**
 * GET /metrics: the Prometheus text exposition, rendered from in-memory state at scrape time.
 * With a token configured (METRICS_TOKEN) a scrape must send `Authorization: Bearer <token>`;
 * else 401 (compared in constant time).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { bearer } from '../auth-hooks.ts';
import { HttpError } from '../errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

export const metricsRoutes =
  (render: () => Promise<{ contentType: string; body: string }>, token?: string): FastifyPluginAsync =>
  async (app) => {
    const want = token ? digest(token) : null;
    app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
      if (want) {
        const got = bearer(req);
        if (!got || !timingSafeEqual(digest(got), want)) {
          void reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new HttpError(401, 'this /metrics wants Authorization: Bearer <METRICS_TOKEN>');
        }
      }
      const m = await render();
      return reply.type(m.contentType).send(m.body);
    });
  };

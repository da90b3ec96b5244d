import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { HubDeps } from '../deps.ts';

export const healthRoutes =
  (deps: Pick<HubDeps, 'ready'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/healthz', { schema: { tags: ['health'], response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({ ok: true }));
    app.get(
      '/readyz',
      { schema: { tags: ['health'], response: { 200: Type.Object({ ok: Type.Boolean() }), 503: Type.Object({ ok: Type.Boolean(), reason: Type.String() }) } } },
      async (_req, reply) => {
        const r = await deps.ready();
        return r.ok ? { ok: true } : reply.status(503).send({ ok: false, reason: r.reason ?? 'not ready' });
      },
    );
  };

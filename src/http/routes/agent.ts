/** The agents' side: report batches in, camera assignment out (the only route that carries credentials). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HubDeps } from '../deps.ts';
import { requireAgent } from '../auth-hooks.ts';
import { HttpError } from '../errors.ts';
import { AssignmentSchema } from '../../protocol/assignment.ts';
import { ReportAckSchema, ReportBatchSchema } from '../../protocol/probe-result.ts';
import { ErrorReply } from '../schemas.ts';

export const agentRoutes =
  (deps: Pick<HubDeps, 'auth' | 'ingest' | 'assignment'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    // malformed or unauthorised agent requests, for sharpeyes_ingest_bad_requests_total
    app.addHook('onResponse', async (_req, reply) => {
      if (reply.statusCode >= 400 && reply.statusCode < 500) deps.ingest.counters.badRequests++;
    });
    app.post(
      '/api/agent/reports',
      {
        preHandler: requireAgent(deps.auth),
        schema: {
          tags: ['agent'],
          summary: 'Report a batch of probe results (idempotent by agent + seq)',
          security: [{ bearer: [] }],
          body: ReportBatchSchema,
          response: { 200: ReportAckSchema, 400: ErrorReply, 401: ErrorReply, 503: ErrorReply },
        },
      },
      async (req) => {
        try {
          return await deps.ingest.ingest(req.agentId, req.body);
        } catch (e) {
          req.log.warn({ agent: req.agentId, seq: req.body.seq, err: e }, 'report not committed; agent will retry');
          throw new HttpError(503, 'report not stored (database unavailable); retry later');
        }
      },
    );
    app.get(
      '/api/agent/assignment',
      {
        preHandler: requireAgent(deps.auth),
        schema: { tags: ['agent'], summary: 'Cameras this agent probes, with credentials', security: [{ bearer: [] }], response: { 200: AssignmentSchema, 401: ErrorReply } },
      },
      async (req, reply) => {
        void reply.header('cache-control', 'no-store');
        return deps.assignment(req.agentId);
      },
    );
  };

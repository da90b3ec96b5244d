/** The agents' side: report batches in, camera assignment out (the only route that carries credentials). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HubDeps } from '../deps.ts';
import { requireAgent } from '../auth-hooks.ts';
import { HttpError } from '../errors.ts';
import { AssignmentSchema } from '../../protocol/assignment.ts';
import { ReportAckSchema } from '../../protocol/probe-result.ts';
import { ReportEnvelopeSchema } from '../../protocol/report-items.ts';
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
        // the token before the body: a stranger learns nothing about what the hub would accept
        onRequest: requireAgent(deps.auth),
        schema: {
          tags: ['agent'],
          summary: 'Report a batch of probe results (idempotent by agent + seq); an invalid item is refused alone, listed in the ack',
          security: [{ bearer: [] }],
          // the envelope here; each item is checked on its own by the ingest (one bad item never costs the batch)
          body: ReportEnvelopeSchema,
          response: { 200: ReportAckSchema, 400: ErrorReply, 401: ErrorReply, 503: ErrorReply },
        },
      },
      async (req) => {
        // Ajv's type coercion turns "1e309" into Infinity after the range checks: what the ledger
        // cannot store exactly is refused here, not answered 503 (a batch retried forever)
        if (!Number.isSafeInteger(req.body.seq) || !Number.isSafeInteger(req.body.sentAt))
          throw new HttpError(400, 'body/seq and body/sentAt must be integers of at most 2^53 - 1');
        try {
          const ack = await deps.ingest.ingest(req.agentId, req.body);
          const odd = ack.duplicate ? [] : ack.refused.filter((r) => r.code === 'invalid' || r.code === 'future');
          if (odd.length > 0)
            req.log.warn({ agent: req.agentId, seq: ack.seq, items: odd.length, first: odd[0] }, 'report items refused (invalid or dated ahead of the hub); the rest applied');
          return ack;
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

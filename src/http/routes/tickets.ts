/** Fault tickets: list/filter, one with camera + timeline + evidence, lifecycle actions, statistics, live stream, maintenance windows. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { acknowledge, assign, comment, reportFault, resolveByCrew } from '../../core/tickets/actions.ts';
import { CATEGORIES, CAUSES, TICKET_STATES, TicketError } from '../../core/tickets/model.ts';
import { FAULT_CLASSES } from '../../protocol/probe-result.ts';
import { Scope } from '../../services/scope.ts';
import type { TicketService } from '../../services/tickets.ts';
import { bearer, requireUser } from '../auth-hooks.ts';
import type { HubDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';

const lit = <T extends string[]>(xs: readonly [...T]) => Type.Enum(xs);
const Id = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
const TicketSchema = Type.Object({ id: Type.Integer(), state: Type.String(), kind: Type.String() }, { additionalProperties: true });
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };
const ActionReply = Type.Object({ ticket: TicketSchema, verification: Type.Optional(Type.String()) });

function http(e: unknown): never {
  if (e instanceof TicketError) throw new HttpError(e.code === 'not_found' ? 404 : e.code === 'conflict' ? 409 : 400, e.message);
  throw e;
}

export const ticketRoutes =
  (deps: Pick<HubDeps, 'auth' | 'view'>, svc: TicketService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const anyUser = requireUser(deps.auth);
    const crew = requireUser(deps.auth, ['admin', 'crew']);
    const field = requireUser(deps.auth, ['admin', 'crew', 'worker']);
    const security = [{ bearer: [] }];
    const tags = ['tickets'];
    const streams = new Set<FastifyReply>();
    app.addHook('preClose', async () => {
      for (const r of streams) r.raw.end();
      streams.clear();
    });
    app.addHook('onClose', async () => svc.stop());

    app.get(
      '/api/tickets',
      {
        preHandler: anyUser,
        schema: {
          tags,
          security,
          summary: 'Tickets in your scope, newest first; filter by state, town, grid, class, age, SLA breached',
          querystring: Type.Object(
            {
              state: Type.Optional(lit([...TICKET_STATES, 'active'] as const)),
              town: Type.Optional(Type.String({ maxLength: 64 })),
              grid: Type.Optional(Type.String({ maxLength: 64 })),
              fault: Type.Optional(lit(FAULT_CLASSES)),
              category: Type.Optional(lit(CATEGORIES)),
              breached: Type.Optional(Type.Boolean()),
              min_age_h: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 365 })),
              camera: Type.Optional(Type.String({ maxLength: 64 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
              offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ total: Type.Integer(), items: Type.Array(TicketSchema) }), ...errors },
        },
      },
      async (req) => {
        await svc.flush();
        const q = req.query;
        return svc.list(req.scope, { ...q, ...(q.min_age_h !== undefined ? { minAgeMs: q.min_age_h * 3600_000 } : {}), limit: q.limit ?? 100, offset: q.offset ?? 0 });
      },
    );

    app.get(
      '/api/tickets/stats',
      {
        preHandler: anyUser,
        schema: {
          tags,
          security,
          summary: 'Time to repair per town and crew, tickets by fault class, open tickets by age',
          querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              from: Type.Integer(),
              repairByTown: Type.Array(Type.Unknown()),
              repairByCrew: Type.Array(Type.Unknown()),
              byClass: Type.Array(Type.Unknown()),
              openByAge: Type.Array(Type.Unknown()),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        await svc.flush();
        const from = svc.deps.now() - (req.query.days ?? 30) * 86_400_000;
        return { from, ...(await svc.stats(req.scope.user, from)) };
      },
    );

    app.get(
      '/api/tickets/stream',
      {
        schema: {
          tags,
          summary: 'Live ticket changes (Server-Sent Events); token as bearer header or ?token=',
          querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false }),
        },
      },
      async (req, reply) => {
        const token = bearer(req) ?? req.query.token;
        const session = token ? await deps.auth.session(token) : null;
        if (!session) throw new HttpError(401, 'missing or invalid token (header or ?token=)');
        const scope = new Scope(session.user);
        // the stream belongs to its session: logout or expiry ends it (an `event: session_ended` first)
        const attached = deps.auth.channels.attach('ticket_stream', session, (reason) => {
          if (reply.raw.writableEnded) return;
          reply.raw.write(`event: session_ended\ndata: ${JSON.stringify({ reason })}\n\n`);
          reply.raw.end();
        });
        if (!attached.ok) throw new HttpError(429, attached.message);
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        reply.raw.write('retry: 3000\n: connected\n\n');
        streams.add(reply);
        const unsubscribe = svc.subscribe((c) => {
          const shown = svc.shownTo(scope, c.ticket);
          if (shown) reply.raw.write(`event: ticket\ndata: ${JSON.stringify({ ...c, ticket: shown })}\n\n`);
        });
        const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
        const ended = () => {
          clearInterval(ping);
          unsubscribe();
          attached.release();
          streams.delete(reply);
        };
        req.raw.on('close', ended);
        // a client gone while its token was looked up: no close event is coming
        if (req.raw.socket?.destroyed) ended();
      },
    );

    app.get(
      '/api/tickets/:id',
      {
        preHandler: anyUser,
        schema: {
          tags,
          security,
          summary: 'One ticket with its cameras, timeline and evidence (the probe results that opened it)',
          params: Id,
          response: { 200: Type.Object({ ticket: TicketSchema, cameras: Type.Array(Type.Unknown()), timeline: Type.Array(Type.Unknown()) }), ...errors },
        },
      },
      async (req) => {
        await svc.flush();
        const ticket = await svc.visible(req.scope, req.params.id).catch(http);
        const cameras = ticket.cameras
          .slice(0, 100)
          .map((c) => deps.view.camera(req.scope, c.code))
          .filter((c) => c !== null);
        return { ticket, cameras, timeline: await svc.timeline(ticket.id) };
      },
    );

    const now = () => svc.deps.now();
    const user = (req: { scope: Scope }) => req.scope.user.username;
    app.post(
      '/api/tickets/:id/ack',
      { preHandler: crew, schema: { tags, security, summary: 'Acknowledge (接单)', params: Id, response: { 200: ActionReply, ...errors } } },
      async (req) => ({ ticket: await svc.act(req.scope, req.params.id, () => acknowledge(svc.engine, req.params.id, user(req), now())).catch(http) }),
    );
    app.post(
      '/api/tickets/:id/assign',
      {
        preHandler: crew,
        schema: {
          tags,
          security,
          summary: 'Assign to a crew member of the town',
          params: Id,
          body: Type.Object({ assignee: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
          response: { 200: ActionReply, ...errors },
        },
      },
      async (req) => ({ ticket: await svc.act(req.scope, req.params.id, () => assign(svc.engine, req.params.id, req.body.assignee, user(req), now())).catch(http) }),
    );
    app.post(
      '/api/tickets/:id/comment',
      {
        preHandler: field,
        schema: {
          tags,
          security,
          summary: 'Comment',
          params: Id,
          body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
          response: { 200: ActionReply, ...errors },
        },
      },
      async (req) => ({ ticket: await svc.act(req.scope, req.params.id, () => comment(svc.engine, req.params.id, req.body.text, user(req), now())).catch(http) }),
    );
    app.post(
      '/api/tickets/:id/resolve',
      {
        preHandler: crew,
        schema: {
          tags,
          security,
          params: Id,
          summary:
            'Resolve with a cause. Closes now if the cameras are verified back; else the cause is kept and the ticket closes itself on verified recovery (verification: pending)',
          body: Type.Object({ cause: lit(CAUSES), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
          response: { 200: ActionReply, ...errors },
        },
      },
      async (req) =>
        svc
          .act(req.scope, req.params.id, () =>
            resolveByCrew(svc.engine, req.params.id, req.body.cause, req.body.note ?? null, user(req), now(), (c) => svc.deps.monitor.cameras.get(c)?.state),
          )
          .catch(http),
    );
    app.post(
      '/api/tickets/report',
      {
        preHandler: field,
        schema: {
          tags,
          security,
          summary: "Report a fault seen in the field (source: worker); joins the camera's open ticket if there is one",
          body: Type.Object({ camera: Type.String({ minLength: 1, maxLength: 64 }), comment: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ ticket: TicketSchema, created: Type.Boolean() }), ...errors },
        },
      },
      async (req) => {
        if (!deps.view.camera(req.scope, req.body.camera)) throw new HttpError(404, `camera ${req.body.camera} not found`);
        return svc.commit(() => reportFault(svc.engine, req.body.camera, req.body.comment, user(req), now())).catch(http);
      },
    );

    // ---- maintenance windows (报备) ----
  };

/**
 * Figures for a closed (or partly closed) period — a day, a month, a range of days — from the
 * stored days and, for days not closed yet, the live timelines (src/services/period-view.ts);
 * and one camera's days. Scoped like every figure.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuthService } from '../../services/auth.ts';
import { PeriodError, type PeriodView } from '../../services/period-view.ts';
import { requireUser } from '../auth-hooks.ts';
import { HttpError, notFound } from '../errors.ts';
import { ErrorReply, IdParam } from '../schemas.ts';

const Figures = {
  onlineMs: Type.Number(),
  offlineMs: Type.Number(),
  unknownMs: Type.Number(),
  maintenanceMs: Type.Number(),
  onlineRate: Type.Union([Type.Number(), Type.Null()]),
  monitoredShare: Type.Union([Type.Number(), Type.Null()]),
};
const SpanFigures = {
  onlineMs: Type.Number(),
  offlineMs: Type.Number(),
  unknownMs: Type.Number(),
  maintenanceMs: Type.Number(),
  outages: Type.Integer(),
  longestOutageMs: Type.Number(),
  faultMs: Type.Record(Type.String(), Type.Number()),
  onlineRate: Type.Union([Type.Number(), Type.Null()]),
};
const PeriodParam = Type.Object({ period: Type.String({ maxLength: 40, description: 'YYYY-MM-DD, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (local days)' }) });

const asHttp = (e: unknown): never => {
  if (e instanceof PeriodError) throw new HttpError(400, e.message);
  throw e;
};

export const periodRoutes =
  (deps: { auth: AuthService; periods: PeriodView }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const user = requireUser(deps.auth);
    const security = [{ bearer: [] }];
    app.get(
      '/api/periods/:period',
      {
        preHandler: user,
        schema: {
          tags: ['rates'],
          summary: 'Time-weighted figures of a day, month or range of days: county, grid kinds, towns, communities/villages (closed days from storage)',
          security,
          params: PeriodParam,
          response: {
            200: Type.Object({
              period: Type.Object({
                id: Type.String(),
                kind: Type.String(),
                from: Type.Integer(),
                to: Type.Integer(),
                closed: Type.Boolean(),
                closedDays: Type.Integer(),
                days: Type.Integer(),
                method: Type.String(),
              }),
              county: Type.Object({ name: Type.String(), ...Figures }),
              byKind: Type.Record(Type.String(), Type.Object(Figures)),
              towns: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), ...Figures })),
              communities: Type.Array(Type.Object({ id: Type.String(), townId: Type.String(), name: Type.String(), ...Figures })),
              at: Type.Integer(),
            }),
            400: ErrorReply,
          },
        },
      },
      async (req) => deps.periods.figures(req.scope, req.params.period).catch(asHttp),
    );
    app.get(
      '/api/cameras/:id/days',
      {
        preHandler: user,
        schema: {
          tags: ['cameras'],
          summary: "A camera's days over a period (closed days as stored, the others live): ms per state, outages, fault ms by class",
          security,
          params: IdParam,
          querystring: Type.Object({ period: PeriodParam.properties.period }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              camera: Type.String(),
              gridId: Type.String(),
              period: Type.Object({ id: Type.String(), from: Type.Integer(), to: Type.Integer() }),
              days: Type.Array(Type.Object({ day: Type.String(), closed: Type.Boolean(), ...SpanFigures })),
              total: Type.Object(SpanFigures),
            }),
            400: ErrorReply,
            404: ErrorReply,
          },
        },
      },
      async (req) => {
        const r = await deps.periods.cameraDays(req.scope, req.params.id, req.query.period).catch(asHttp);
        return r ?? Promise.reject(notFound(`camera ${req.params.id}`));
      },
    );
    app.get(
      '/api/periods/:period/fault-hours',
      {
        preHandler: user,
        schema: {
          tags: ['rates'],
          summary: 'Offline time per camera over a period, and per town and grid the channels over the threshold (default 8 h, the contract rule)',
          security,
          params: PeriodParam,
          querystring: Type.Object({ thresholdHours: Type.Optional(Type.Number({ minimum: 0, maximum: 744, default: 8 })) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              period: Type.Object({ id: Type.String(), from: Type.Integer(), to: Type.Integer() }),
              thresholdMs: Type.Number(),
              cameras: Type.Array(Type.Object({ camera: Type.String(), gridId: Type.String(), townId: Type.String(), offlineMs: Type.Number(), over: Type.Boolean() })),
              towns: Type.Array(Type.Object({ id: Type.String(), over: Type.Integer(), cameras: Type.Array(Type.String()) })),
              grids: Type.Array(Type.Object({ id: Type.String(), townId: Type.String(), over: Type.Integer(), cameras: Type.Array(Type.String()) })),
            }),
            400: ErrorReply,
          },
        },
      },
      async (req) => deps.periods.faultHours(req.scope, req.params.period, (req.query.thresholdHours ?? 8) * 3_600_000).catch(asHttp),
    );
  };

/** County summary, town ranking (红黑榜), communities/villages and grids with rates, cameras and their transitions. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { HubDeps } from '../deps.ts';
import { requireUser } from '../auth-hooks.ts';
import { notFound } from '../errors.ts';
import { CameraView, CommunityFigures, CommunityListQuery, ErrorReply, GridFigures, GridListQuery, IdParam, SummaryReply, TownFigures, TransitionView } from '../schemas.ts';

export const countyRoutes =
  (deps: Pick<HubDeps, 'auth' | 'view' | 'transitions'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const user = requireUser(deps.auth);
    const security = [{ bearer: [] }];
    app.get(
      '/api/summary',
      {
        preHandler: user,
        schema: {
          tags: ['rates'],
          summary: 'Online rate and coverage of everything in your scope, by town, community/village and grid kind',
          security,
          response: { 200: SummaryReply },
        },
      },
      async (req) => deps.view.summary(req.scope),
    );
    app.get(
      '/api/towns/ranking',
      {
        preHandler: user,
        schema: {
          tags: ['rates'],
          summary: 'Towns ranked by online rate (红黑榜); towns with nothing monitored are listed apart',
          security,
          querystring: Type.Object(
            {
              order: Type.Optional(Type.Union([Type.Literal('best'), Type.Literal('worst')])),
              window: Type.Optional(Type.Union([Type.Literal('now'), Type.Literal('today'), Type.Literal('month')])),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              order: Type.String(),
              window: Type.String(),
              ranked: Type.Array(Type.Object({ rank: Type.Integer(), ...TownFigures.properties })),
              unranked: Type.Array(TownFigures),
              at: Type.Integer(),
            }),
          },
        },
      },
      async (req) => deps.view.townRanking(req.scope, req.query.order ?? 'best', req.query.window ?? 'now'),
    );
    app.get(
      '/api/communities',
      {
        preHandler: user,
        schema: {
          tags: ['rates'],
          summary: 'Communities/villages (社区/村) with their rates, sorted by id',
          security,
          querystring: CommunityListQuery,
          response: { 200: Type.Object({ items: Type.Array(CommunityFigures), at: Type.Integer() }) },
        },
      },
      async (req) => deps.view.communityList(req.scope, req.query),
    );
    app.get(
      '/api/communities/:id',
      {
        preHandler: user,
        schema: {
          tags: ['rates'],
          summary: 'One community/village with its grids',
          security,
          params: IdParam,
          response: { 200: Type.Object({ ...CommunityFigures.properties, grids: Type.Array(GridFigures) }), 404: ErrorReply },
        },
      },
      async (req) => deps.view.community(req.scope, req.params.id) ?? Promise.reject(notFound(`community ${req.params.id}`)),
    );
    app.get(
      '/api/grids',
      {
        preHandler: user,
        schema: {
          tags: ['rates'],
          summary: 'Grids with their rates: filter, sort, paginate',
          security,
          querystring: GridListQuery,
          response: { 200: Type.Object({ total: Type.Integer(), offset: Type.Integer(), limit: Type.Integer(), items: Type.Array(GridFigures), at: Type.Integer() }) },
        },
      },
      async (req) => deps.view.grids(req.scope, req.query),
    );
    app.get(
      '/api/grids/:id',
      {
        preHandler: user,
        schema: {
          tags: ['rates'],
          summary: 'One grid with its cameras',
          security,
          params: IdParam,
          response: { 200: Type.Object({ ...GridFigures.properties, cameras: Type.Array(CameraView) }), 404: ErrorReply },
        },
      },
      async (req) => deps.view.grid(req.scope, req.params.id) ?? Promise.reject(notFound(`grid ${req.params.id}`)),
    );
    app.get(
      '/api/cameras/:id',
      { preHandler: user, schema: { tags: ['cameras'], summary: 'One camera (never its credentials)', security, params: IdParam, response: { 200: CameraView, 404: ErrorReply } } },
      async (req) => deps.view.camera(req.scope, req.params.id) ?? Promise.reject(notFound(`camera ${req.params.id}`)),
    );
    app.get(
      '/api/cameras/:id/transitions',
      {
        preHandler: user,
        schema: {
          tags: ['cameras'],
          summary: "A camera's state transitions, newest first",
          security,
          params: IdParam,
          querystring: Type.Object(
            { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), before: Type.Optional(Type.Integer({ minimum: 0 })) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ camera: Type.String(), items: Type.Array(TransitionView) }), 404: ErrorReply },
        },
      },
      async (req) => {
        if (!deps.view.camera(req.scope, req.params.id)) throw notFound(`camera ${req.params.id}`);
        const items = await deps.transitions(req.params.id, req.query.limit ?? 100, req.query.before);
        return { camera: req.params.id, items };
      },
    );
  };

/** Live view REST: cameras near a position (within the caller's scope), and the relay's state. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { nearbyCameras } from '../../live/nearby.ts';
import type { Relay } from '../../live/relay.ts';
import type { AuthService } from '../../services/auth.ts';
import type { CountyView } from '../../services/county-view.ts';
import { requireUser } from '../auth-hooks.ts';
import { CameraView, ErrorReply } from '../schemas.ts';

const LiveStateSchema = Type.Union([Type.Literal('waiting'), Type.Literal('live'), Type.Literal('stale'), Type.Literal('agent_offline'), Type.Literal('no_agent'), Type.Literal('idle')]);

export const liveRoutes =
  (deps: { auth: AuthService; view: CountyView; relay: Relay }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const user = requireUser(deps.auth);
    app.get(
      '/api/cameras/nearby',
      {
        preHandler: user,
        schema: {
          tags: ['live'],
          summary: 'Cameras within `radius` metres of (lat, lon), nearest first, only those in your scope',
          security: [{ bearer: [] }],
          querystring: Type.Object(
            {
              lat: Type.Number({ minimum: -90, maximum: 90 }),
              lon: Type.Number({ minimum: -180, maximum: 180 }),
              radius: Type.Optional(Type.Number({ minimum: 1, maximum: 50_000, default: 1000 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              at: Type.Integer(),
              radius: Type.Number(),
              items: Type.Array(Type.Object({ ...CameraView.properties, distanceM: Type.Integer(), live: LiveStateSchema })),
            }),
            400: ErrorReply,
          },
        },
      },
      async (req) => {
        const { lat, lon } = req.query;
        const radius = req.query.radius ?? 1000;
        const items = nearbyCameras(deps.view, req.scope, lat, lon, radius, req.query.limit ?? 50).map((c) => ({ ...c, live: deps.relay.streamState(c.code)?.state ?? ('idle' as const) }));
        return { at: Date.now(), radius, items };
      },
    );
  };

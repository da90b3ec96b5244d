/** Live view REST: cameras near a position (within the caller's scope), and the relay's state. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { nearbyCameras } from '../../live/nearby.ts';
import type { Relay } from '../../live/relay.ts';
import type { AuthService } from '../../services/auth.ts';
import type { CountyView } from '../../services/county-view.ts';
import { requireUser } from '../auth-hooks.ts';
import { CameraView, ErrorReply } from '../schemas.ts';

const LiveStateSchema = Type.Union([
  Type.Literal('waiting'),
  Type.Literal('live'),
  Type.Literal('stale'),
  Type.Literal('agent_offline'),
  Type.Literal('no_agent'),
  Type.Literal('idle'),
]);

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
        const items = nearbyCameras(deps.view, req.scope, lat, lon, radius, req.query.limit ?? 50).map((c) => ({
          ...c,
          live: deps.relay.streamState(c.code)?.state ?? ('idle' as const),
        }));
        return { at: Date.now(), radius, items };
      },
    );
    app.get(
      '/api/cameras/:id/snapshot',
      {
        preHandler: user,
        schema: {
          tags: ['live'],
          summary: "The camera's last live frame (JPEG) kept by the hub, with x-captured-at; 404 when none was taken yet",
          security: [{ bearer: [] }],
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }) }),
        },
      },
      async (req, reply) => {
        const frame = deps.view.camera(req.scope, req.params.id) ? deps.relay.lastFrame(req.params.id) : null;
        if (!frame) return reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no snapshot of camera ${req.params.id}` });
        return reply.type('image/jpeg').header('x-captured-at', String(frame.capturedAt)).header('cache-control', 'no-store').send(frame.jpeg);
      },
    );
  };

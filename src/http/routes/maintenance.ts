/** Maintenance windows (报备): list, announce, cancel. The windows themselves belong to the maintenance service. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MaintenanceWindow } from '../../core/maintenance.ts';
import type { AuthService } from '../../services/auth.ts';
import type { CountyView } from '../../services/county-view.ts';
import type { MaintenanceService } from '../../services/maintenance.ts';
import type { Scope } from '../../services/scope.ts';
import { requireUser } from '../auth-hooks.ts';
import { HttpError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';

const Id = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };
const tags = ['maintenance'];
const security = [{ bearer: [] }];
const user = (req: { scope: Scope }) => req.scope.user.username;

export const maintenanceRoutes =
  (deps: { auth: AuthService; view: CountyView; maintenance: MaintenanceService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const anyUser = requireUser(deps.auth);
    const crew = requireUser(deps.auth, ['admin', 'crew']);
    const svc = deps.maintenance;
    const WindowBody = Type.Object(
      {
        cameras: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 })),
        site: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        grid: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        from: Type.Integer({ minimum: 0, description: 'epoch ms' }),
        to: Type.Integer({ minimum: 0, description: 'epoch ms' }),
        note: Type.String({ minLength: 1, maxLength: 500 }),
      },
      { additionalProperties: false },
    );
    app.get(
      '/api/maintenance',
      {
        preHandler: anyUser,
        schema: {
          tags,
          security,
          summary: 'Maintenance windows not yet over that cover a camera in your scope, each listing only its cameras in your scope',
          response: { 200: Type.Object({ items: Type.Array(Type.Unknown()) }), ...errors },
        },
      },
      async (req) => {
        // a window is listed to whoever may see one of the cameras it covers (as tickets are),
        // with only the named cameras that caller may see
        const seen = { cameras: new Set<string>(), sites: new Set<string>(), grids: new Set<string>() };
        for (const c of deps.view.cameraInfo.values()) {
          if (!deps.view.camera(req.scope, c.code)) continue;
          seen.cameras.add(c.code);
          if (c.siteId) seen.sites.add(c.siteId);
          seen.grids.add(c.gridId);
        }
        const visible = (w: MaintenanceWindow) =>
          w.cameras.some((code) => seen.cameras.has(code)) || (w.siteId !== null && seen.sites.has(w.siteId)) || (w.gridId !== null && seen.grids.has(w.gridId));
        return { items: (await svc.list()).filter(visible).map((w) => ({ ...w, cameras: w.cameras.filter((code) => seen.cameras.has(code)) })) };
      },
    );
    app.post(
      '/api/maintenance',
      {
        preHandler: crew,
        schema: { tags, security, summary: 'Announce planned work (报备): no tickets, cameras out of the rate', body: WindowBody, response: { 200: Type.Unknown(), ...errors } },
      },
      async (req) => {
        const b = req.body;
        if (!b.cameras?.length && !b.site && !b.grid) throw new HttpError(400, 'name cameras, a site or a grid');
        if (b.to <= b.from) throw new HttpError(400, '`to` must be after `from`');
        if (b.to - b.from > 14 * 86_400_000) throw new HttpError(400, 'a window may last at most 14 days');
        const covered = [
          ...(b.cameras ?? []),
          ...[...deps.view.cameraInfo.values()].filter((c) => (b.site && c.siteId === b.site) || (b.grid && c.gridId === b.grid)).map((c) => c.code),
        ];
        if (covered.length === 0) throw new HttpError(400, 'the window covers no camera');
        for (const code of covered) if (!deps.view.camera(req.scope, code)) throw new HttpError(404, `camera ${code} not found`);
        return svc.create({
          cameras: b.cameras ?? [],
          siteId: b.site ?? null,
          gridId: b.grid ?? null,
          from: b.from,
          to: b.to,
          note: b.note,
          createdBy: user(req),
        });
      },
    );
    app.delete(
      '/api/maintenance/:id',
      { preHandler: crew, schema: { tags, security, summary: 'Cancel a window', params: Id, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errors } } },
      async (req) => {
        const cancelled = await svc.cancel(req.params.id, (w) => req.scope.user.role === 'admin' || w.createdBy === user(req));
        if (!cancelled) throw new HttpError(404, `window ${req.params.id} not found (or not yours)`);
        return { ok: true };
      },
    );
  };

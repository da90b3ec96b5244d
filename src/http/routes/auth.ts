import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { HubDeps } from '../deps.ts';
import { bearer, requireUser } from '../auth-hooks.ts';
import { HttpError } from '../errors.ts';
import { ErrorReply, LoginBody, LoginReply, UserView } from '../schemas.ts';

export const authRoutes =
  (deps: Pick<HubDeps, 'auth'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/auth/login',
      { schema: { tags: ['auth'], summary: 'Password login; returns a bearer token', body: LoginBody, response: { 200: LoginReply, 401: ErrorReply } } },
      async (req) => {
        const session = await deps.auth.login(req.body.username, req.body.password);
        if (!session) throw new HttpError(401, 'wrong username or password');
        return session;
      },
    );
    app.get('/api/me', { preHandler: requireUser(deps.auth), schema: { tags: ['auth'], security: [{ bearer: [] }], response: { 200: UserView } } }, async (req) => req.scope.user);
    app.post(
      '/api/auth/logout',
      { preHandler: requireUser(deps.auth), schema: { tags: ['auth'], security: [{ bearer: [] }], response: { 200: Type.Object({ ok: Type.Boolean() }) } } },
      async (req) => {
        await deps.auth.logout(bearer(req)!);
        return { ok: true };
      },
    );
  };

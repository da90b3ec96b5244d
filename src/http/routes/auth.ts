import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { HubDeps } from '../deps.ts';
import { bearer, requireUser } from '../auth-hooks.ts';
import { HttpError } from '../errors.ts';
import { ErrorReply, LoginBody, LoginReply, UserView } from '../schemas.ts';
import { DEFAULT_LOGIN_LIMITS, LoginCounters, type LoginLimits, USER_KEY } from './auth-limits.ts';

export interface AuthRouteOptions {
  /** login limits (defaults: DEFAULT_LOGIN_LIMITS) */
  loginLimits?: Partial<LoginLimits>;
  /** the limits' clock (tests) */
  now?: () => number;
}

/** usernames are counted as typed, case-folded and trimmed (one account, one counter) */
const userKey = (username: string) => USER_KEY + username.trim().toLowerCase();

export const authRoutes =
  (deps: Pick<HubDeps, 'auth'>, opts: AuthRouteOptions = {}): FastifyPluginAsyncTypebox =>
  async (app) => {
    const limits: LoginLimits = { ...DEFAULT_LOGIN_LIMITS, ...opts.loginLimits };
    const counters = new LoginCounters(limits, opts.now ?? Date.now);
    await app.register(rateLimit, {
      global: false,
      store: counters.storeClass(),
      errorResponseBuilder: (_req, ctx) => new HttpError(429, `too many login attempts from this address; retry in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s`),
      onExceeded: (req) => req.log.warn({ ip: req.ip }, 'login refused: too many attempts from this address'),
    });
    const userFailures = app.createRateLimit({
      max: limits.userFailures,
      timeWindow: limits.userWindowMs,
      keyGenerator: (req) => userKey((req.body as { username: string }).username),
    });
    app.post(
      '/api/auth/login',
      {
        config: { rateLimit: { max: limits.addressAttempts, timeWindow: limits.addressWindowMs } },
        schema: {
          tags: ['auth'],
          summary: 'Password login; returns a bearer token. Limited per address and per username: 429 with Retry-After',
          body: LoginBody,
          response: { 200: LoginReply, 401: ErrorReply, 429: ErrorReply },
        },
      },
      async (req, reply) => {
        const { username, password } = req.body;
        const locked = await userFailures(req, { increment: false });
        if (!locked.isAllowed && locked.isExceeded) {
          req.log.warn({ username, ip: req.ip }, 'login refused: username locked after failed logins');
          void reply.header('retry-after', String(Math.max(1, locked.ttlInSeconds)));
          throw new HttpError(429, `too many failed logins for this username; retry in ${Math.max(1, locked.ttlInSeconds)} s`);
        }
        const session = await deps.auth.login(username, password);
        if (!session) {
          // the username is logged (never the password): who is being guessed, from where, how often
          const f = await userFailures(req);
          const failures = f.isAllowed ? 0 : f.max - f.remaining;
          const lockedForS = !f.isAllowed && f.remaining === 0 ? f.ttlInSeconds : 0;
          req.log.warn({ username, ip: req.ip, failures, lockedForS }, 'login failed');
          throw new HttpError(401, 'wrong username or password');
        }
        counters.reset(userKey(username));
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

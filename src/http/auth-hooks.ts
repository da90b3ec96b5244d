/** Bearer authentication for users (session tokens) and agents (agent tokens). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../services/auth.ts';
import { Scope, type Principal } from '../services/scope.ts';
import type { Role } from '../county/load-config.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    scope: Scope;
    agentId: string;
  }
}

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1] ?? null;
}

export function requireUser(auth: AuthService, roles?: Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearer(req);
    if (!token) throw new HttpError(401, 'missing bearer token (POST /api/auth/login)');
    const user: Principal | null = await auth.userFor(token);
    if (!user) throw new HttpError(401, 'invalid or expired token');
    if (roles && !roles.includes(user.role)) throw new HttpError(403, `role ${user.role} may not do this`);
    req.scope = new Scope(user);
  };
}

export function requireAgent(auth: AuthService) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearer(req);
    const agent = token ? auth.agentFor(token) : null;
    if (!agent) throw new HttpError(401, 'missing or unknown agent token');
    req.agentId = agent;
  };
}

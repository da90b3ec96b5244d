/** Build report batches and talk to a hub through fastify.inject (no sockets). */
import type { FastifyInstance } from 'fastify';
import type { FaultClass, ProbeResult, ReportBatch } from '../../src/protocol/probe-result.ts';

export function result(camera: string, at: number, fault: FaultClass | null = null): ProbeResult {
  return {
    camera,
    at,
    fault,
    clockOffsetMs: fault === 'unreachable' ? null : 120,
    rungs:
      fault === 'unreachable'
        ? [{ rung: 'tcp', outcome: 'timeout', ms: 3000 }]
        : [
            { rung: 'tcp', outcome: 'ok', ms: 0.4 },
            { rung: 'onvif_time', outcome: 'ok', ms: 2.1 },
            { rung: 'onvif_auth', outcome: fault === 'auth_failed' ? 'auth' : 'ok', ms: 3.3 },
            { rung: 'rtsp', outcome: fault === null ? 'ok' : 'fail', ms: 1.8 },
          ],
  };
}

/**
 * A camera seen alive: from unknown the hub wants M = 2 consecutive successes (docs/accounting.md),
 * so two, `gapMs` apart, the second at `at` — online from the first (`at − gapMs`).
 */
export function alive(camera: string, at: number, gapMs = 30_000): ProbeResult[] {
  return [result(camera, at - gapMs), result(camera, at)];
}

export function batch(seq: number, items: ProbeResult[], sentAt = Date.now()): ReportBatch {
  return { seq, sentAt, items };
}

export async function post(app: FastifyInstance, token: string, body: unknown) {
  return app.inject({ method: 'POST', url: '/api/agent/reports', headers: { authorization: `Bearer ${token}` }, payload: body as object });
}

export async function login(app: FastifyInstance, u: { username: string; password: string }): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: u });
  if (r.statusCode !== 200) throw new Error(`login ${u.username}: ${r.statusCode} ${r.body}`);
  return r.json().token as string;
}

export async function get(app: FastifyInstance, token: string, url: string) {
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
}

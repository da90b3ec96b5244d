/**
 * Small HTTP control API of the simulator, on 127.0.0.1 only:
 *   GET    /cameras                      endpoints + state (no passwords)
 *   GET    /counters                     { totals, cameras: { code: counters } }
 *   GET    /counters/:code
 *   POST   /counters/reset
 *   GET    /faults
 *   POST   /faults                       { camera | site, fault, seconds?, ms?, periodS? }
 *   DELETE /faults                       clear every fault
 *   DELETE /faults/camera/:code[/:fault]
 *   DELETE /faults/site/:siteId[/:fault]
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Fleet } from './fleet-api.ts';
import { FAULT_KINDS, type FaultKind, type FaultParams } from './types.ts';

export interface ControlApi {
  url: string;
  close(): Promise<void>;
}

export async function startControlApi(fleet: Fleet, port: number): Promise<ControlApi> {
  const server = createServer((req, res) => {
    route(fleet, req, res).catch((err: unknown) => json(res, 400, { error: err instanceof Error ? err.message : String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const actual = addr !== null && typeof addr === 'object' ? addr.port : port;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(fleet: Fleet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [head, a, b, c] = parts;
  const method = req.method ?? 'GET';

  if (method === 'GET' && head === 'cameras' && parts.length === 1) {
    return json(
      res,
      200,
      fleet.endpoints().map(({ password: _pw, ...e }) => ({ ...e, state: fleet.state(e.code), expectedFault: fleet.expectedFault(e.code) })),
    );
  }
  if (head === 'counters') {
    if (method === 'GET' && parts.length === 1) return json(res, 200, { totals: fleet.totals(), cameras: fleet.allCounters() });
    if (method === 'GET' && a !== undefined && parts.length === 2) return json(res, 200, fleet.counters(a));
    if (method === 'POST' && a === 'reset') {
      fleet.resetCounters();
      return json(res, 200, { ok: true });
    }
  }
  if (head === 'faults') {
    if (method === 'GET' && parts.length === 1) return json(res, 200, fleet.faults());
    if (method === 'POST' && parts.length === 1) {
      const body = await readJson(req);
      const fault = faultKind(body.fault);
      const params: FaultParams = {};
      for (const k of ['seconds', 'ms', 'periodS'] as const) if (typeof body[k] === 'number') params[k] = body[k];
      const target = typeof body.camera === 'string' ? { camera: body.camera } : typeof body.site === 'string' ? { site: body.site } : null;
      if (!target) return json(res, 400, { error: 'give camera or site' });
      await fleet.setFault(target, fault, params);
      return json(res, 201, { ok: true, ...target, fault, ...params });
    }
    if (method === 'DELETE' && parts.length === 1) {
      await fleet.clearAllFaults();
      return json(res, 200, { cleared: 'all' });
    }
    if (method === 'DELETE' && (a === 'camera' || a === 'site') && b !== undefined && parts.length <= 4) {
      const target = a === 'camera' ? { camera: b } : { site: b };
      const cleared = await fleet.clearFault(target, c === undefined ? undefined : faultKind(c));
      return json(res, 200, { cleared });
    }
  }
  return json(res, 404, { error: 'not found' });
}

function faultKind(v: unknown): FaultKind {
  if (typeof v === 'string' && (FAULT_KINDS as readonly string[]).includes(v)) return v as FaultKind;
  throw new Error(`fault must be one of ${FAULT_KINDS.join(', ')}`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = '';
  for await (const chunk of req) {
    raw += String(chunk);
    if (raw.length > 64 * 1024) throw new Error('body too large');
  }
  const v: unknown = raw === '' ? {} : JSON.parse(raw);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('body must be a JSON object');
  return v as Record<string, unknown>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const s = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(s) });
  res.end(s);
}

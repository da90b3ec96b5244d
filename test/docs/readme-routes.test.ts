/**
 * The README's routes are the hub's routes. Every `METHOD /path?query {body}` the README
 * documents (its API tables and its prose) is called on a real hub, as the role the table's
 * "who" column names, with the documented query parameters and body fields filled from the
 * route's own schema. A route renamed, a parameter renamed (`class=` for `fault=`) or a role
 * the route refuses fails here, naming the README line.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { login } from '../support/reports.ts';
import { AGENT_A, USERS } from '../support/tiny-county.ts';

interface DocRoute {
  line: number;
  method: string;
  path: string;
  /** documented query parameters; a documented value (`order=best\|worst` → best) or '' */
  query: [string, string][];
  body: string[];
  who: string;
}

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const ROUTE = /^(GET|POST|DELETE|PUT|PATCH) (\/[^\s?{]*)(\?[^\s{]*)?(?: \{([^}]*)\})?$/;
const RELATIVE = /^(\/[a-z-]+)(?: \{([^}]*)\})?$/;

/** Every route the README names in backticks, with the role of its table row (prose: any user). */
function documentedRoutes(text: string): DocRoute[] {
  const out: DocRoute[] = [];
  text.split('\n').forEach((raw, i) => {
    const cells = raw.startsWith('| `') ? raw.split(/(?<!\\)\|/).map((c) => c.trim()) : null;
    const who = cells?.[2] ?? 'user';
    const segments = [...(cells ? cells[1]! : raw).matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\\\|/g, '|'));
    let last: DocRoute | null = null;
    for (const seg of segments) {
      const m = ROUTE.exec(seg);
      const rel = cells && last ? RELATIVE.exec(seg) : null;
      if (m) {
        const query = (m[3] ?? '')
          .slice(1)
          .split('&')
          .filter(Boolean)
          .map((kv) => {
            const [k, v = ''] = kv.split('=');
            return [k!, v.split('|')[0]!] as [string, string];
          });
        last = { line: i + 1, method: m[1]!, path: m[2]!, query, body: fields(m[4]), who };
        out.push(last);
      } else if (rel && last) {
        const base = last.path.slice(0, last.path.lastIndexOf('/'));
        out.push({ line: i + 1, method: last.method, path: base + rel[1], query: [], body: fields(rel[2]), who });
      }
    }
  });
  return out;
}

const fields = (s: string | undefined) => (s ? s.split(',').map((f) => f.trim().replace(/\?$/, '')) : []);

/** A value the schema accepts: enum/const first, numbers at their minimum (≥ 1), strings short. */
// biome-ignore lint/suspicious/noExplicitAny: JSON Schema from the hub's OpenAPI document, walked freely
function sample(schema: any, name: string): unknown {
  if (!schema) return 'x';
  if (schema.enum) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt) return sample(alt[0], name);
  switch (schema.type) {
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, 1);
    case 'boolean':
      return true;
    case 'array':
      return [sample(schema.items, name)];
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((k: string) => [k, sample(schema.properties?.[k], k)]));
    default:
      return name === 'camera' || name === 'cameras' ? 'c01' : 'x';
  }
}

/** Streams and sockets never end: their presence is checked, they are not called. */
const NOT_CALLED = new Set(['GET /api/tickets/stream']);

describe('README routes', () => {
  let t: TestHub;
  // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document as the hub serves it
  let spec: any;
  const tokens: Record<string, string> = {};
  const routes = documentedRoutes(README);
  // a route named in prose answers the role its table row names
  for (const r of routes) {
    const row = routes.find((x) => x.method === r.method && x.path === r.path && x.who !== 'user');
    if (row) r.who = row.who;
  }

  beforeAll(async () => {
    t = await startTestHub('pglite');
    await t.hub.app.ready();
    spec = t.hub.app.swagger();
    tokens.admin = await login(t.hub.app, USERS.admin);
    tokens.crew = await login(t.hub.app, USERS.crewA);
    tokens.worker = await login(t.hub.app, USERS.worker);
  });
  afterAll(async () => t?.close());

  it('the parser finds the documented routes (the README tables have not lost their shape)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(25);
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toContain('POST /api/tickets/:id/resolve');
    expect(names).toContain('DELETE /api/maintenance/:id');
    expect(routes.find((r) => r.path === '/api/tickets' && r.method === 'GET')!.query.map(([k]) => k)).toContain('fault');
  });

  it('every documented route exists with its documented parameters and answers the documented role', async () => {
    const problems: string[] = [];
    for (const r of routes) {
      const where = `README.md:${r.line} ${r.method} ${r.path}`;
      // routes hidden from /docs (the exporter) are looked up in the router instead
      const op = spec.paths?.[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()] ?? (t.hub.app.hasRoute({ method: r.method as 'GET', url: r.path }) ? {} : null);
      if (!op) {
        problems.push(`${where}: no such route`);
        continue;
      }
      // biome-ignore lint/suspicious/noExplicitAny: OpenAPI parameter objects
      const params: any[] = op.parameters ?? [];
      const qs = new URLSearchParams();
      for (const [k, v] of r.query) {
        const p = params.find((x) => x.in === 'query' && x.name === k);
        if (!p) problems.push(`${where}: query parameter "${k}" is not taken`);
        else qs.set(k, v || String(sample(p.schema, k)));
      }
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      // fields the README names, else what the schema requires
      const body = (r.body.length ? {} : bodySchema ? sample(bodySchema, '') : undefined) as Record<string, unknown> | undefined;
      for (const f of r.body) {
        const s = bodySchema?.properties?.[f];
        if (!s) problems.push(`${where}: body field "${f}" is not taken`);
        else body![f] = sample(s, f);
      }
      if (NOT_CALLED.has(`${r.method} ${r.path}`)) continue;
      const url = r.path.replace(/:(\w+)/g, '1') + (qs.size ? `?${qs}` : '');
      const who = r.who;
      const token =
        r.path === '/api/auth/logout'
          ? await login(t.hub.app, USERS.admin)
          : who.startsWith('agent')
            ? AGENT_A.token
            : who.startsWith('worker')
              ? tokens.worker
              : who.startsWith('crew')
                ? tokens.crew
                : /anyone|prometheus/i.test(who)
                  ? null
                  : tokens.admin;
      const res = await t.hub.app.inject({
        method: r.method as 'GET',
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(r.path === '/api/auth/login' ? { payload: USERS.viewer } : body ? { payload: body } : {}),
      });
      const msg = res.headers['content-type']?.toString().includes('json') ? (res.json().message ?? '') : '';
      if (res.statusCode === 404 && /^Route /.test(msg)) problems.push(`${where}: route not found`);
      if (res.statusCode === 400 && /^invalid (querystring|body|params)/.test(msg)) problems.push(`${where}: ${msg}`);
      if (res.statusCode === 401 || res.statusCode === 403) problems.push(`${where}: ${res.statusCode} for the documented role "${who}"`);
      if (res.statusCode >= 500) problems.push(`${where}: ${res.statusCode} ${msg}`);
    }
    expect(problems).toEqual([]);
  });
});

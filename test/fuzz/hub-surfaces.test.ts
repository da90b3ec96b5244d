/**
 * Fuzz campaign, hub side: generated report bodies (POST /api/agent/reports), logins
 * (POST /api/auth/login), live WebSocket messages (/api/live, over a real socket) and
 * cameras.csv files (the parser and the whole county loader). Each surface: 0 crashes, 0 hangs,
 * 0 answers ≥ 500. Counts: FUZZ_RUNS (default a few hundred; `npm run fuzz` sets 10,000).
 */
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { readCamerasCsv } from '../../src/county/cameras-csv.ts';
import { ConfigErrors } from '../../src/county/config-error.ts';
import { loadCountyConfig, readConfigFiles, type ConfigFiles } from '../../src/county/load-config.ts';
import { FAULT_CLASSES, RUNG_OUTCOMES, RUNGS } from '../../src/protocol/probe-result.ts';
import { hashPassword } from '../../src/secrets/passwords.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { login } from '../support/reports.ts';
import { AGENT_A, AGENT_B, USERS, writeTinyCounty } from '../support/tiny-county.ts';
import { budgetMs, campaign, HangError, nastyString, runsFor, within, type Verdict } from './campaign.ts';

const CODES = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09', 'c10'];
const HUB_DEADLINE_MS = 5000;

// ---- generators ---------------------------------------------------------------------------

const anyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2, 1e308, Number.MIN_VALUE));
const anyValue: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue(), nastyString(50), anyNumber, fc.constant(null), fc.boolean());
const timeish = () => {
  const now = Date.now();
  return fc.oneof(fc.integer({ min: now - 86_400_000, max: now + 1000 }), fc.integer({ min: now, max: now + 10 * 365 * 86_400_000 }), anyNumber, nastyString(20));
};

const rung = fc.record(
  {
    rung: fc.oneof(fc.constantFrom(...RUNGS), nastyString(20)),
    outcome: fc.oneof(fc.constantFrom(...RUNG_OUTCOMES), nastyString(20)),
    ms: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), anyNumber),
    detail: fc.oneof(nastyString(400), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

const item = fc.oneof(
  // mostly well-formed: the item validation and the core see them
  fc.record({
    camera: fc.constantFrom(...CODES),
    at: fc.integer({ min: Date.now() - 3_600_000, max: Date.now() }),
    fault: fc.constantFrom(null, ...FAULT_CLASSES),
    rungs: fc.array(fc.record({ rung: fc.constantFrom(...RUNGS), outcome: fc.constantFrom(...RUNG_OUTCOMES), ms: fc.double({ min: 0, max: 10_000, noNaN: true }) }), {
      minLength: 1,
      maxLength: 5,
    }),
    clockOffsetMs: fc.oneof(fc.constant(null), fc.integer({ min: -1e9, max: 1e9 })),
  }),
  fc.record(
    {
      camera: fc.oneof(fc.constantFrom(...CODES, 'c99', ''), nastyString(80), anyValue),
      at: timeish(),
      fault: fc.oneof(fc.constantFrom(null, ...FAULT_CLASSES), nastyString(30), anyValue),
      rungs: fc.oneof(fc.array(rung, { maxLength: 8 }), anyValue),
      clockOffsetMs: fc.oneof(fc.constant(null), anyNumber, anyValue),
      busy: anyValue,
      source: fc.oneof(fc.constantFrom('ladder', 'gb28181'), anyValue),
      newerAgentField: anyValue,
    },
    { requiredKeys: [] },
  ),
  anyValue,
);

const batchBody = fc.record(
  {
    seq: fc.oneof(fc.integer({ min: 1, max: 1e9 }), anyNumber, nastyString(20)),
    sentAt: timeish(),
    items: fc.oneof(fc.array(item, { maxLength: 25 }), anyValue),
    extra: anyValue,
  },
  { requiredKeys: ['seq', 'sentAt', 'items'] },
);

/** what goes on the wire: a JSON value, a near-valid batch, or raw text under a content type */
type Wire = { kind: 'json'; body: unknown } | { kind: 'raw'; text: string; contentType: string };
const wire = (structured: fc.Arbitrary<unknown>): fc.Arbitrary<Wire> =>
  fc.oneof(
    { weight: 6, arbitrary: structured.map((body): Wire => ({ kind: 'json', body })) },
    { weight: 2, arbitrary: fc.jsonValue().map((body): Wire => ({ kind: 'json', body })) },
    {
      weight: 2,
      arbitrary: fc
        .record({
          text: fc.oneof(
            nastyString(2000),
            structured.map((b) => JSON.stringify(b) ?? '').map((s) => s.slice(0, Math.max(0, s.length - 3))),
          ),
          contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', ''),
        })
        .map((r): Wire => ({ kind: 'raw', ...r })),
    },
  );

const inject = (t: TestHub, url: string, w: Wire, headers: Record<string, string>) =>
  within(
    t.hub.app.inject(
      w.kind === 'json'
        ? { method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(w.body) ?? 'null' }
        : { method: 'POST', url, headers: { ...headers, ...(w.contentType ? { 'content-type': w.contentType } : {}) }, payload: w.text },
    ),
    HUB_DEADLINE_MS,
  );

const statusVerdict = (status: number): Verdict => (status >= 500 ? '5xx' : 'ok');

// ---- the campaign -----------------------------------------------------------------------------

describe('fuzz: hub surfaces', () => {
  let t: TestHub;
  let wsUrl = '';
  let adminToken = '';

  beforeAll(async () => {
    // login limits out of the way: the fuzzer is to reach the handler, not only the limiter
    t = await startTestHub('pglite', { sessions: { loginLimits: { addressAttempts: 1e9, userFailures: 1e9 } } });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    wsUrl = `ws://127.0.0.1:${(t.hub.app.server.address() as AddressInfo).port}/api/live`;
    adminToken = await login(t.hub.app, USERS.admin);
  });
  afterAll(async () => {
    await t?.close();
  });

  const alive = async () => {
    const r = await t.hub.app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
  };

  const reportRuns = runsFor(600);
  it(
    'report bodies: no crash, no hang, no 5xx',
    async () => {
      const arb = fc.record({ w: wire(batchBody), token: fc.oneof({ weight: 8, arbitrary: fc.constant(AGENT_A.token) }, fc.constant(AGENT_B.token), nastyString(60)) });
      const tally = await campaign('hub.report_bodies', arb, reportRuns, async ({ w, token }) => {
        const r = await inject(t, '/api/agent/reports', w, { authorization: `Bearer ${token}` });
        return statusVerdict(r.statusCode);
      });
      await alive();
      expect(tally).toMatchObject({ crashes: 0, hangs: 0, status5xx: 0 });
      expect(tally.inputs).toBe(reportRuns);
    },
    budgetMs(reportRuns, 30),
  );

  const loginRuns = runsFor(300);
  it(
    'login bodies: no crash, no hang, no 5xx',
    async () => {
      const users = Object.values(USERS).map((u) => u.username);
      const creds = fc.record(
        {
          username: fc.oneof(fc.constantFrom(...users), nastyString(300), anyValue),
          password: fc.oneof(fc.constantFrom(...Object.values(USERS).map((u) => u.password)), nastyString(300), anyValue),
          extra: anyValue,
        },
        { requiredKeys: [] },
      );
      const tally = await campaign('hub.login', wire(creds), loginRuns, async (w) => statusVerdict((await inject(t, '/api/auth/login', w, {})).statusCode));
      await alive();
      expect(tally).toMatchObject({ crashes: 0, hangs: 0, status5xx: 0 });
    },
    budgetMs(loginRuns, 80),
  );

  const liveRuns = runsFor(300);
  it(
    'live WebSocket messages: no crash, no hang, no 1011 / 5xx',
    async () => {
      const json = (v: unknown) => JSON.stringify(v) ?? 'null';
      const codes = fc.oneof(fc.array(fc.oneof(fc.constantFrom(...CODES, 'c99'), nastyString(70)), { maxLength: 20 }), anyValue);
      const message = fc.oneof(
        fc.constant({ text: json({ type: 'auth', token: '__ADMIN__' }) }),
        nastyString(80).map((token) => ({ text: json({ type: 'auth', token }) })),
        fc.record({ type: fc.constantFrom('subscribe', 'unsubscribe'), cameras: codes }).map((m) => ({ text: json(m) })),
        fc
          .record({ type: fc.oneof(fc.constantFrom('auth', 'subscribe', 'unsubscribe', 'ping'), nastyString(20)), token: anyValue, cameras: anyValue }, { requiredKeys: [] })
          .map((m) => ({ text: json(m) })),
        fc.jsonValue().map((v) => ({ text: json(v) })),
        nastyString(600).map((text) => ({ text })),
        fc.integer({ min: 3000, max: 6000 }).map((n) => ({ text: json({ type: 'auth', token: 'x'.repeat(n) }) })),
        fc.uint8Array({ maxLength: 600 }).map((b) => ({ binary: Buffer.from(b) })),
      );
      const arb = fc.record({
        header: fc.oneof(
          fc.constant(null),
          fc.constant('__ADMIN__'),
          nastyString(40).filter((s) => /^[\x21-\x7e]*$/.test(s)),
        ),
        messages: fc.array(message, { minLength: 1, maxLength: 6 }),
      });
      const tally = await campaign('hub.live_messages', arb, liveRuns, (input) => liveExchange(input));
      await alive();
      expect(tally).toMatchObject({ crashes: 0, hangs: 0, status5xx: 0 });
    },
    budgetMs(liveRuns, 60),
  );

  /** one socket: open, send the messages, read what comes back for a moment, close; 1011 or an upgrade ≥ 500 is a 5xx */
  function liveExchange(input: { header: string | null; messages: ({ text: string } | { binary: Buffer })[] }): Promise<Verdict> {
    const sub = (s: string) => s.replaceAll('__ADMIN__', adminToken);
    return within(
      new Promise<Verdict>((resolve) => {
        const headers: Record<string, string> = input.header === null ? {} : { authorization: `Bearer ${sub(input.header)}` };
        const ws = new WebSocket(wsUrl, { headers, maxPayload: 1 << 20 });
        let verdict: Verdict = 'ok';
        let quiet: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(quiet);
          if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
          resolve(verdict);
        };
        ws.on('unexpected-response', (_req, res) => {
          if ((res.statusCode ?? 0) >= 500) verdict = '5xx';
          done();
        });
        ws.on('error', () => done());
        ws.on('close', (code) => {
          if (code === 1011) verdict = '5xx';
          done();
        });
        ws.on('message', () => {
          clearTimeout(quiet);
          quiet = setTimeout(done, 15);
        });
        ws.on('open', () => {
          for (const m of input.messages) {
            if (ws.readyState !== ws.OPEN) break;
            if ('text' in m) ws.send(sub(m.text));
            else ws.send(m.binary, { binary: true });
          }
          quiet = setTimeout(done, 40);
        });
      }),
      3000,
    ).catch((e) => (e instanceof HangError ? 'hang' : 'crash'));
  }

  const csvRuns = runsFor(1500);
  it(
    'cameras.csv: the parser and the county loader answer with config errors, never a crash or a hang',
    async () => {
      const base = readConfigFiles(writeTinyCounty());
      // users.yaml with hashes, not plain passwords: the loader would otherwise run scrypt per input
      const hash = await hashPassword('fuzz-pass-1');
      const usersYaml = Buffer.from(`users:\n  - { username: admin, role: admin, password: '${hash}' }\n`);
      const known = { gridIds: new Set(['ga1', 'ga2', 'gb1', 'gb2']), agentIds: new Set(['agent-a', 'agent-b']) };
      const HEADER = 'code,name,grid,site,lat,lon,host,onvif_port,onvif_path,rtsp_port,rtsp_path,vendor,username,password,agent';
      const field = fc.oneof(
        fc.constantFrom('c01', 'ga1', 'gb2', 'agent-a', '127.0.0.1', '80', '554', '/onvif/device_service', '35.9', '-91', '65536', 'hikvision', 'admin', ''),
        nastyString(40),
        nastyString(30).map((s) => `"${s.replaceAll('"', '""')}"`),
        nastyString(30).map((s) => `"${s}`), // an unclosed quote
      );
      const row = fc.array(field, { minLength: 0, maxLength: 18 });
      const csv = fc.oneof(
        nastyString(3000),
        fc
          .record({
            bom: fc.boolean(),
            header: fc.oneof(
              fc.constant(HEADER),
              fc.shuffledSubarray(HEADER.split(','), { minLength: 1 }).map((h) => h.join(',')),
              fc.array(nastyString(12), { maxLength: 16 }).map((h) => h.join(',')),
            ),
            rows: fc.array(row, { maxLength: 30 }),
            sep: fc.constantFrom(',', ',', ';', '\t'),
            eol: fc.constantFrom('\n', '\r\n', '\r', '\n\n'),
          })
          .map((r) => (r.bom ? '\uFEFF' : '') + [r.header, ...r.rows.map((f) => f.join(r.sep))].join(r.eol)),
      );
      let loaderRuns = 0;
      const tally = await campaign('hub.cameras_csv', fc.record({ text: csv, loader: fc.integer({ min: 0, max: 9 }) }), csvRuns, async ({ text, loader }) => {
        const t0 = performance.now();
        const r = readCamerasCsv('cameras.csv', text, known);
        if (!Array.isArray(r.cameras) || !Array.isArray(r.errors)) return 'crash';
        if (loader === 0) {
          // the whole loader, as the hub reads its folder at start and on reload
          loaderRuns++;
          const files: ConfigFiles = { files: base.files, bytes: [base.bytes[0]!, base.bytes[1]!, usersYaml, Buffer.from(text)], fingerprint: `f${loaderRuns}` };
          try {
            loadCountyConfig(files);
          } catch (e) {
            if (!(e instanceof ConfigErrors)) throw e;
          }
        }
        // synchronous code cannot be raced: a parse slower than this is counted as a hang
        return performance.now() - t0 > 2000 ? 'hang' : 'ok';
      });
      expect(tally).toMatchObject({ crashes: 0, hangs: 0, status5xx: 0 });
      expect(loaderRuns).toBeGreaterThan(0);
    },
    budgetMs(csvRuns, 5),
  );
});

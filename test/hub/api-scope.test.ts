import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { AGENT_A, AGENT_B, CAMERA_PASSWORD, USERS } from '../support/tiny-county.ts';
import { alive, batch, get, login, post, result } from '../support/reports.ts';

describe.each(DB_KINDS)('API and scopes on %s', (kind) => {
  let t: TestHub;
  const tokens: Record<keyof typeof USERS, string> = {} as never;
  const T = Date.UTC(2026, 10, 29, 2, 0, 0);
  beforeAll(async () => {
    t = await startTestHub(kind, { now: () => T + 100_000 });
    for (const k of Object.keys(USERS) as (keyof typeof USERS)[]) tokens[k] = await login(t.hub.app, USERS[k]);
    // town ta: c01, c02 online, c03 offline (ga1); c04 online, c05 unknown (ga2)
    // online wants M = 2 successes from unknown: alive() posts T − 30 s and T (100 s before now, within S = 120 s)
    await post(t.hub.app, AGENT_A.token, batch(1, [...alive('c01', T), ...alive('c02', T), ...alive('c04', T)]));
    for (let i = 0; i < 3; i++) await post(t.hub.app, AGENT_A.token, batch(2 + i, [result('c03', T + i, 'unreachable')]));
    // town tb: c06..c10 online
    await post(
      t.hub.app,
      AGENT_B.token,
      batch(
        1,
        ['c06', 'c07', 'c08', 'c09', 'c10'].flatMap((c) => alive(c, T)),
      ),
    );
  });
  afterAll(async () => t.close());

  it('login refuses a wrong password and unknown users alike', async () => {
    for (const payload of [
      { username: 'admin', password: 'nope' },
      { username: 'ghost', password: 'x' },
    ]) {
      const r = await t.hub.app.inject({ method: 'POST', url: '/api/auth/login', payload });
      expect(r.statusCode).toBe(401);
      expect(r.json().message).toBe('wrong username or password');
    }
    expect((await t.hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin' } })).statusCode).toBe(400);
  });

  it('every data route wants a valid token', async () => {
    for (const url of ['/api/summary', '/api/grids', '/api/grids/ga1', '/api/cameras/c01', '/api/cameras/c01/transitions', '/api/towns/ranking', '/api/me']) {
      expect((await t.hub.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
      expect((await get(t.hub.app, 'forged-token', url)).statusCode, url).toBe(401);
    }
  });

  it('county summary for the admin: rates, coverage, by kind', async () => {
    const s = (await get(t.hub.app, tokens.admin, '/api/summary')).json();
    expect(s.county.counts).toEqual({ online: 8, offline: 1, unknown: 1, maintenance: 0 });
    expect(s.county.onlineRate).toBeCloseTo(8 / 9);
    expect(s.county.coverage).toBeCloseTo(9 / 10);
    expect(s.byKind.rural.counts.online).toBe(5);
    expect(s.byKind.dedicated.counts).toEqual({ online: 1, offline: 0, unknown: 1, maintenance: 0 });
    expect(s.towns.map((x: { id: string }) => x.id)).toEqual(['ta', 'tb']);
  });

  it('a crew sees only its towns', async () => {
    const s = (await get(t.hub.app, tokens.crewA, '/api/summary')).json();
    expect(s.towns.map((x: { id: string }) => x.id)).toEqual(['ta']);
    expect(s.county.total).toBe(5);
    const grids = (await get(t.hub.app, tokens.crewA, '/api/grids')).json();
    expect(grids.items.map((g: { id: string }) => g.id)).toEqual(['ga1', 'ga2']);
    expect((await get(t.hub.app, tokens.crewA, '/api/grids/gb1')).statusCode).toBe(404);
    expect((await get(t.hub.app, tokens.crewA, '/api/cameras/c06')).statusCode).toBe(404);
    expect((await get(t.hub.app, tokens.crewA, '/api/cameras/c06/transitions')).statusCode).toBe(404);
    expect((await get(t.hub.app, tokens.crewB, '/api/cameras/c06')).statusCode).toBe(200);
  });

  it('a worker sees only its grids', async () => {
    const grids = (await get(t.hub.app, tokens.worker, '/api/grids')).json();
    expect(grids.items.map((g: { id: string }) => g.id)).toEqual(['ga1']);
    expect((await get(t.hub.app, tokens.worker, '/api/cameras/c04')).statusCode).toBe(404);
    const s = (await get(t.hub.app, tokens.worker, '/api/summary')).json();
    expect(s.county.total).toBe(3);
    expect(s.towns.map((x: { id: string }) => x.id)).toEqual(['ta']);
  });

  it('grids: filter, sort by rate, paginate', async () => {
    const worst = (await get(t.hub.app, tokens.admin, '/api/grids?sort=rate&limit=2')).json();
    expect(worst.total).toBe(4);
    expect(worst.items.map((g: { id: string }) => g.id)).toEqual(['ga1', 'ga2']);
    expect(worst.items[0].onlineRate).toBeCloseTo(2 / 3);
    const page2 = (await get(t.hub.app, tokens.admin, '/api/grids?sort=rate&limit=2&offset=2')).json();
    expect(page2.items.map((g: { id: string }) => g.id)).toEqual(['gb1', 'gb2']);
    const rural = (await get(t.hub.app, tokens.admin, '/api/grids?kind=rural&town=tb')).json();
    expect(rural.total).toBe(2);
    expect((await get(t.hub.app, tokens.admin, '/api/grids?kind=castle')).statusCode).toBe(400);
    expect((await get(t.hub.app, tokens.admin, '/api/grids?limit=0')).statusCode).toBe(400);
    expect((await get(t.hub.app, tokens.admin, '/api/grids?sort=bogus')).statusCode).toBe(400);
  });

  it('town ranking best and worst (红黑榜)', async () => {
    const best = (await get(t.hub.app, tokens.admin, '/api/towns/ranking?order=best')).json();
    expect(best.ranked.map((x: { id: string; rank: number }) => [x.rank, x.id])).toEqual([
      [1, 'tb'],
      [2, 'ta'],
    ]);
    const worst = (await get(t.hub.app, tokens.admin, '/api/towns/ranking?order=worst')).json();
    expect(worst.ranked[0].id).toBe('ta');
    expect(worst.ranked[0].onlineRate).toBeCloseTo(3 / 4);
  });

  it('one grid with its cameras and one camera with its transitions; never a password', async () => {
    const g = await get(t.hub.app, tokens.admin, '/api/grids/ga1');
    expect(g.statusCode).toBe(200);
    expect(g.json().cameras.map((c: { code: string; state: string }) => [c.code, c.state])).toEqual([
      ['c01', 'online'],
      ['c02', 'online'],
      ['c03', 'offline'],
    ]);
    const c = (await get(t.hub.app, tokens.admin, '/api/cameras/c03')).json();
    expect(c).toMatchObject({ code: 'c03', state: 'offline', fault: 'unreachable', siteId: 's1' });
    const tr = (await get(t.hub.app, tokens.admin, '/api/cameras/c03/transitions')).json();
    // newest first: the three failures, then the hub's start, when c03 was new in the registry (`registered`).
    // Offline from the first failure (T), clipped to the camera's entry in the registry: the hub started at T + 100 s
    // (its clock is fixed there), and time before a camera is in the registry is in no figure (docs/accounting.md).
    expect(tr.items.map((x: { from: string; to: string; reason: string }) => `${x.from}>${x.to} ${x.reason}`)).toEqual(['unknown>offline probe', 'unknown>unknown registered']);
    expect(tr.items[0]).toMatchObject({ since: T + 100_000, fault: 'unreachable' });
    for (const r of [g, await get(t.hub.app, tokens.admin, '/api/cameras/c03'), await get(t.hub.app, tokens.admin, '/api/grids?limit=100')]) {
      expect(r.body).not.toContain(CAMERA_PASSWORD);
      expect(r.body).not.toMatch(/password/i);
    }
  });

  it('an agent gets credentials of its own cameras only; users cannot fetch them', async () => {
    const a = await t.hub.app.inject({ method: 'GET', url: '/api/agent/assignment', headers: { authorization: `Bearer ${AGENT_A.token}` } });
    expect(a.statusCode).toBe(200);
    const body = a.json();
    expect(body.cameras.map((c: { code: string }) => c.code)).toEqual(['c01', 'c02', 'c03', 'c04', 'c05']);
    expect(body.cameras[0]).toMatchObject({ password: CAMERA_PASSWORD, rtspUrl: 'rtsp://127.0.0.1:9100/Streaming/Channels/101' });
    expect(body.lastSeq).toBe(4); // batches 1..4 of agent A were recorded in beforeAll
    expect((await get(t.hub.app, tokens.admin, '/api/agent/assignment')).statusCode).toBe(401);
    // the password is encrypted at rest
    const rows = await t.hub.db.query<{ p: string }>(`select password_enc as p from cameras`);
    expect(rows.every((r) => r.p.startsWith('v1.') && !r.p.includes(CAMERA_PASSWORD))).toBe(true);
  });

  it('no log line carries a password or token', async () => {
    const all = t.logLines.join('\n');
    expect(all).not.toContain(CAMERA_PASSWORD);
    expect(all).not.toContain(AGENT_A.token);
    for (const u of Object.values(USERS)) expect(all).not.toContain(u.password);
  });

  it('health, readiness and OpenAPI docs', async () => {
    expect((await t.hub.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true });
    expect((await t.hub.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ ok: true });
    const spec = (await t.hub.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/agent/reports', '/api/grids', '/api/grids/{id}', '/api/summary', '/api/towns/ranking']));
    expect((await t.hub.app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });
});

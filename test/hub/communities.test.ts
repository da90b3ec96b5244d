/**
 * The community/village (社区/村) roll-up: GET /api/summary's `communities`, GET /api/communities
 * and /api/communities/:id, scoped like towns, and the community series on /metrics. The tiny
 * county is rewritten so town ta has two communities (ca: ga1, ca2: ga2) and town tb one with
 * grids (cb) and one without (cb9), so a town is a real Σ of more than one community.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { alive, batch, get, login, post, result } from '../support/reports.ts';
import { AGENT_A, AGENT_B, USERS, writeTinyCounty } from '../support/tiny-county.ts';

const COUNTY = `county: { id: tiny, name: 小县 }
towns:
  - id: ta
    name: 甲街道
    kind: street
    communities:
      - id: ca
        name: 甲社区
        kind: community
        grids:
          - { id: ga1, name: 甲一网格, kind: urban }
      - id: ca2
        name: 甲二村
        kind: village
        grids:
          - { id: ga2, name: 甲二网格, kind: dedicated }
  - id: tb
    name: 乙镇
    kind: town
    communities:
      - id: cb
        name: 乙村
        kind: village
        grids:
          - { id: gb1, name: 乙一网格, kind: rural }
          - { id: gb2, name: 乙二网格, kind: rural }
      - id: cb9
        name: 乙九村
        kind: village
        grids: []
`;

interface Fig {
  id: string;
  name: string;
  kind: string;
  townId: string;
  counts: { online: number; offline: number; unknown: number; maintenance: number };
  total: number;
  onlineRate: number | null;
  coverage: number | null;
  today: { onlineRate: number | null; onlineMs: number; monitoredMs: number };
  month: { onlineRate: number | null; onlineMs: number; monitoredMs: number };
}

const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

describe('community/village roll-up', () => {
  let t: TestHub;
  const tokens: Record<keyof typeof USERS, string> = {} as never;
  const T = Date.UTC(2026, 10, 29, 2, 0, 0);
  // A camera counts from its entry in the registry (the hub's start) on (docs/accounting.md), so the hub starts
  // before the first evidence (T − 30 s): at T − 60 s. The reports arrive at T + 2 (the live staleness sweep is by
  // arrival, and S = 120 s), and the queries are made at T + 100 s.
  let clock = T - 60_000;
  beforeAll(async () => {
    const configDir = writeTinyCounty();
    writeFileSync(join(configDir, 'county.yaml'), COUNTY);
    t = await startTestHub('pglite', { configDir, now: () => clock });
    for (const k of Object.keys(USERS) as (keyof typeof USERS)[]) tokens[k] = await login(t.hub.app, USERS[k]);
    // ca (ga1): c01, c02 online, c03 offline → 2/3; ca2 (ga2): c04 online, c05 offline → 1/2
    clock = T + 2;
    // online wants M = 2 successes from unknown: alive() posts T − 30 s and T
    await post(t.hub.app, AGENT_A.token, batch(1, [...alive('c01', T), ...alive('c02', T), ...alive('c04', T)]));
    for (let i = 0; i < 3; i++) await post(t.hub.app, AGENT_A.token, batch(2 + i, [result('c03', T + i, 'unreachable'), result('c05', T + i, 'unreachable')]));
    // cb (gb1, gb2): c06..c09 online, c10 never reported (unknown) → 4/4, coverage 4/5
    await post(
      t.hub.app,
      AGENT_B.token,
      batch(
        1,
        ['c06', 'c07', 'c08', 'c09'].flatMap((c) => alive(c, T)),
      ),
    );
    clock = T + 100_000;
  });
  afterAll(async () => t?.close());

  it('the summary lists every community of the county with Σ-over-grids figures (admin)', async () => {
    const s = (await get(t.hub.app, tokens.admin, '/api/summary')).json();
    const cs: Fig[] = s.communities;
    expect(ids(cs)).toEqual(['ca', 'ca2', 'cb', 'cb9']);
    const by = Object.fromEntries(cs.map((c) => [c.id, c]));
    expect(by.ca).toMatchObject({ name: '甲社区', kind: 'community', townId: 'ta', counts: { online: 2, offline: 1, unknown: 0, maintenance: 0 }, total: 3 });
    expect(by.ca!.onlineRate).toBe(2 / 3);
    expect(by.ca!.coverage).toBe(1);
    expect(by.ca2).toMatchObject({ kind: 'village', townId: 'ta', counts: { online: 1, offline: 1, unknown: 0, maintenance: 0 }, total: 2 });
    expect(by.ca2!.onlineRate).toBe(1 / 2);
    expect(by.cb).toMatchObject({ townId: 'tb', counts: { online: 4, offline: 0, unknown: 1, maintenance: 0 }, total: 5 });
    expect(by.cb!.onlineRate).toBe(1);
    expect(by.cb!.coverage).toBe(4 / 5);
    // no grids: listed, with nothing to measure (null rates, never 0)
    expect(by.cb9).toMatchObject({ townId: 'tb', total: 0, onlineRate: null, coverage: null, today: { onlineRate: null, onlineMs: 0, monitoredMs: 0 } });
    // town ta is 3/5, not the mean of 2/3 and 1/2
    const ta = s.towns.find((x: Fig) => x.id === 'ta') as Fig;
    expect(ta.onlineRate).toBe(3 / 5);
  });

  it('the communities of a town add up to the town: counts, total and time-weighted milliseconds', async () => {
    const s = (await get(t.hub.app, tokens.admin, '/api/summary')).json();
    for (const town of s.towns as Fig[]) {
      const mine = (s.communities as Fig[]).filter((c) => c.townId === town.id);
      const sum = (f: (c: Fig) => number) => mine.reduce((a, c) => a + f(c), 0);
      for (const k of ['online', 'offline', 'unknown', 'maintenance'] as const)
        expect(
          sum((c) => c.counts[k]),
          `${town.id} ${k}`,
        ).toBe(town.counts[k]);
      expect(sum((c) => c.total)).toBe(town.total);
      for (const w of ['today', 'month'] as const) {
        expect(
          sum((c) => c[w].onlineMs),
          `${town.id} ${w}`,
        ).toBe(town[w].onlineMs);
        expect(
          sum((c) => c[w].monitoredMs),
          `${town.id} ${w}`,
        ).toBe(town[w].monitoredMs);
      }
    }
    // there was monitored time to add up (the hub's clock is 100 s past the reports)
    expect((s.towns as Fig[]).find((x) => x.id === 'ta')!.today.monitoredMs).toBeGreaterThan(0);
    // by hand, now = T + 100 s: an online camera is online from its first success (T − 30 s) to now = 130 s;
    // c03 and c05 are offline from their first failure (T; unknown before it) to now = 100 s.
    // ca: c01, c02 → 260 s online of 360 s; ca2: c04 130 s + c05 100 s → 130 s of 230 s; ta = 390 s of 590 s;
    // cb: c06..c09 → 4 × 130 s = 520 s of 520 s (c10 unknown, not monitored)
    const today = (xs: Fig[], id: string) => {
      const x = xs.find((c) => c.id === id)!.today;
      return [x.onlineMs, x.monitoredMs];
    };
    expect(today(s.communities, 'ca')).toEqual([260_000, 360_000]);
    expect(today(s.communities, 'ca2')).toEqual([130_000, 230_000]);
    expect(today(s.communities, 'cb')).toEqual([520_000, 520_000]);
    expect(today(s.towns, 'ta')).toEqual([390_000, 590_000]);
  });

  it('GET /api/communities: sorted by id, filtered by town, same figures as the summary', async () => {
    const all = (await get(t.hub.app, tokens.admin, '/api/communities')).json();
    const s = (await get(t.hub.app, tokens.admin, '/api/summary')).json();
    expect(ids(all.items)).toEqual(['ca', 'ca2', 'cb', 'cb9']);
    expect(all.items).toEqual(s.communities);
    expect(all.at).toBe(T + 100_000);
    expect(ids((await get(t.hub.app, tokens.admin, '/api/communities?town=tb')).json().items)).toEqual(['cb', 'cb9']);
    expect((await get(t.hub.app, tokens.admin, '/api/communities?town=nowhere')).json().items).toEqual([]);
    expect((await get(t.hub.app, tokens.admin, '/api/communities?bogus=1')).statusCode).toBe(400);
  });

  it('GET /api/communities/:id: the community with its grids; unknown → 404', async () => {
    const r = await get(t.hub.app, tokens.admin, '/api/communities/cb');
    expect(r.statusCode).toBe(200);
    const c = r.json();
    expect(c).toMatchObject({ id: 'cb', name: '乙村', kind: 'village', townId: 'tb', total: 5, onlineRate: 1, coverage: 4 / 5 });
    expect(c.grids.map((g: Fig & { communityId: string }) => [g.id, g.communityId, g.total, g.onlineRate])).toEqual([
      ['gb1', 'cb', 3, 1],
      ['gb2', 'cb', 2, 1],
    ]);
    expect((await get(t.hub.app, tokens.admin, '/api/communities/cb9')).json()).toMatchObject({ id: 'cb9', total: 0, onlineRate: null, grids: [] });
    expect((await get(t.hub.app, tokens.admin, '/api/communities/nope')).statusCode).toBe(404);
    expect((await get(t.hub.app, tokens.admin, '/api/communities/bad%20id')).statusCode).toBe(400);
  });

  it('every community route wants a valid token', async () => {
    for (const url of ['/api/communities', '/api/communities/ca']) {
      expect((await t.hub.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
      expect((await get(t.hub.app, 'forged-token', url)).statusCode, url).toBe(401);
    }
  });

  it('a crew sees the communities of its towns only (an empty one too); others are 404', async () => {
    const a = (await get(t.hub.app, tokens.crewA, '/api/summary')).json();
    expect(ids(a.communities)).toEqual(['ca', 'ca2']);
    expect(ids((await get(t.hub.app, tokens.crewA, '/api/communities')).json().items)).toEqual(['ca', 'ca2']);
    expect((await get(t.hub.app, tokens.crewA, '/api/communities?town=tb')).json().items).toEqual([]);
    expect((await get(t.hub.app, tokens.crewA, '/api/communities/cb')).statusCode).toBe(404);
    expect((await get(t.hub.app, tokens.crewA, '/api/communities/ca2')).json().onlineRate).toBe(1 / 2);
    const b = (await get(t.hub.app, tokens.crewB, '/api/communities')).json();
    expect(ids(b.items)).toEqual(['cb', 'cb9']);
    expect((await get(t.hub.app, tokens.crewB, '/api/communities/cb9')).statusCode).toBe(200);
    expect((await get(t.hub.app, tokens.crewB, '/api/communities/ca')).statusCode).toBe(404);
  });

  it('a worker sees only the communities of its grids, with the figures of its grids', async () => {
    const s = (await get(t.hub.app, tokens.worker, '/api/summary')).json();
    expect(ids(s.communities)).toEqual(['ca']);
    const list = (await get(t.hub.app, tokens.worker, '/api/communities')).json();
    expect(ids(list.items)).toEqual(['ca']);
    expect(list.items[0]).toMatchObject({ total: 3, counts: { online: 2, offline: 1, unknown: 0, maintenance: 0 } });
    expect(list.items[0].onlineRate).toBe(2 / 3);
    const one = (await get(t.hub.app, tokens.worker, '/api/communities/ca')).json();
    expect(ids(one.grids)).toEqual(['ga1']);
    for (const id of ['ca2', 'cb', 'cb9']) expect((await get(t.hub.app, tokens.worker, `/api/communities/${id}`)).statusCode, id).toBe(404);
  });

  it('/metrics: one series per community and metric, labelled town and community, with the API figures', async () => {
    const text = (await t.hub.app.inject({ method: 'GET', url: '/metrics' })).body;
    const samples = (name: string) => Object.fromEntries([...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))].map((m) => [m[1]!, Number(m[2])]));
    expect(samples('sharpeyes_community_online_ratio')).toEqual({
      'town="ta",community="ca"': 2 / 3,
      'town="ta",community="ca2"': 1 / 2,
      'town="tb",community="cb"': 1,
    });
    expect(samples('sharpeyes_community_coverage_ratio')).toEqual({
      'town="ta",community="ca"': 1,
      'town="ta",community="ca2"': 1,
      'town="tb",community="cb"': 4 / 5,
    });
    expect(samples('sharpeyes_community_info')).toEqual({
      'town="ta",community="ca",name="甲社区"': 1,
      'town="ta",community="ca2",name="甲二村"': 1,
      'town="tb",community="cb",name="乙村"': 1,
    });
    // time-weighted today: the same ratio the API computes
    const api = (await get(t.hub.app, tokens.admin, '/api/communities')).json().items as Fig[];
    const today = samples('sharpeyes_community_online_ratio_today');
    for (const c of api.filter((x) => x.today.onlineRate !== null)) expect(today[`town="${c.townId}",community="${c.id}"`], c.id).toBeCloseTo(c.today.onlineRate!, 12);
    expect(Object.keys(today)).toHaveLength(3);
    // and the town series beside it
    expect(samples('sharpeyes_town_online_ratio')['town="ta"']).toBe(3 / 5);
  });
});

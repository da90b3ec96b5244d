/**
 * The hub over HTTP against the independent reference accountant, on PGlite and PostgreSQL:
 * generated evidence (silences, flapping, late batches, agent clock skew, evidence older than L,
 * hub restarts, midnight and a month boundary) posted as the agent would, at its arrival time on
 * a fake hub clock; days closed when due (the hub's rule: end + G, and G after a start); then
 * every closed day of every camera read from `GET /api/cameras/:id/days` must equal the
 * oracle's figures as known at the instant the day closed — after a restart too — and
 * `GET /api/periods/<day>` / `<month>` must give the Σ of those days and say they are closed, and
 * `GET /api/periods/<day>/fault-hours` each camera's offline time and the channels over the threshold.
 * Registry changes are covered by test/core/monitor-vs-oracle.test.ts (they need cameras.csv edits).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/protocol/probe-result.ts';
import { DB_KINDS } from '../support/databases.ts';
import { type Scenario, scenarioArb } from '../support/evidence-scenarios.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { localDayStart, type RefDay, referenceDay } from '../support/reference-accountant.ts';
import { batch, get, login, post, result } from '../support/reports.ts';
import { AGENT_A, USERS } from '../support/tiny-county.ts';

const CAMERAS = ['c01', 'c02', 'c04'];
const G = 3_600_000;
const DAY = 86_400_000;

const scenarios: Scenario[] = fc.sample(scenarioArb({ cameras: CAMERAS, days: 1, registry: false }), { numRuns: 2, seed: 28181 });

function plain(d: Partial<RefDay> | null | undefined) {
  return d
    ? {
        onlineMs: d.onlineMs,
        offlineMs: d.offlineMs,
        unknownMs: d.unknownMs,
        maintenanceMs: d.maintenanceMs,
        outages: d.outages,
        longestOutageMs: d.longestOutageMs,
        faultMs: Object.fromEntries(Object.entries(d.faultMs ?? {}).sort()),
      }
    : null;
}

async function play(kind: (typeof DB_KINDS)[number], sc: Scenario) {
  let now = sc.start;
  const t: TestHub = await startTestHub(kind, { now: () => now, sweepIntervalMs: 20, dayClose: { graceMs: G, tickMs: 3_600_000 } });
  let startedAt = sc.start;
  let seq = 0;
  const closedAt = new Map<string, number>();
  const tz = t.hub.monitor.config.tzOffsetMinutes;
  const closeDue = async (until: number) => {
    for (;;) {
      const openFrom = t.hub.monitor.windows.openFrom;
      const c = Math.max(openFrom + DAY + G, startedAt + G);
      if (c > until) return;
      now = c;
      const done = await t.hub.days.closeDue();
      for (const d of done) closedAt.set(d.day, c);
      if (done.length === 0) throw new Error(`no day closed at ${new Date(c).toISOString()}`);
    }
  };
  const down = [...sc.hubDown];
  // items arriving at the same instant go in one batch
  const groups: { arrival: number; items: ProbeResult[] }[] = [];
  for (const e of sc.evidence) {
    const last = groups[groups.length - 1];
    const item = { ...result(e.camera, e.at, e.fault), clockOffsetMs: null };
    if (last && last.arrival === e.arrival && last.items.length < 500) last.items.push(item);
    else groups.push({ arrival: e.arrival, items: [item] });
  }
  for (const g of groups) {
    while (down.length && down[0]!.from <= g.arrival) {
      const w = down.shift()!;
      await closeDue(w.from - 1);
      now = w.from;
      await t.hub.close(); // a graceful stop while the hub is down
      now = w.to;
      await t.restart({ now: () => now, sweepIntervalMs: 20, dayClose: { graceMs: G, tickMs: 3_600_000 } });
      startedAt = w.to;
    }
    await closeDue(g.arrival - 1);
    now = g.arrival;
    t.hub.monitor.sweep(now); // the staleness sweep, as its timer would have run by now
    const r = await post(t.hub.app, AGENT_A.token, batch(++seq, g.items));
    if (r.statusCode !== 200) throw new Error(`post: ${r.statusCode} ${r.body}`);
  }
  await closeDue(sc.end);
  return { t, closedAt, tz };
}

describe.each(DB_KINDS)('closed days served by the hub agree with the reference accountant on %s', (kind) => {
  const open: TestHub[] = [];
  afterAll(async () => {
    for (const t of open) await t.close();
  });

  it.each(scenarios.map((sc, i) => [i, sc] as const))(
    'scenario %i: every camera, every closed day; the day and month figures are their sums',
    async (_i, sc) => {
      const { t, closedAt } = await play(kind, sc);
      open.push(t);
      expect(closedAt.size).toBeGreaterThan(0);
      // after a restart, as an assessor would read them the next morning
      await t.restart();
      const token = await login(t.hub.app, USERS.admin);
      const bad: string[] = [];
      for (const [day, C] of closedAt) {
        let on = 0;
        let off = 0;
        for (const c of CAMERAS) {
          const want = referenceDay(sc, c, localDayStart(day), C);
          const r = await get(t.hub.app, token, `/api/cameras/${c}/days?period=${day}`);
          expect(r.statusCode, r.body).toBe(200);
          const got = r.json().days.find((d: { day: string }) => d.day === day);
          if (got) expect(got.closed).toBe(true);
          if (JSON.stringify(plain(got)) !== JSON.stringify(plain(want))) bad.push(`${c} ${day}: hub ${JSON.stringify(plain(got))} oracle ${JSON.stringify(plain(want))}`);
          on += want?.onlineMs ?? 0;
          off += want?.offlineMs ?? 0;
        }
        const p = (await get(t.hub.app, token, `/api/periods/${day}`)).json();
        expect(p.period).toMatchObject({ id: day, kind: 'day', closed: true, method: 'time-weighted' });
        const town = p.towns.find((x: { id: string }) => x.id === 'ta');
        expect(town.onlineMs).toBe(on);
        expect(town.offlineMs).toBe(off);
        expect(town.onlineRate).toBe(on + off > 0 ? on / (on + off) : null);
        // fault hours (the contract rule), here with a threshold of 30 min
        const fh = (await get(t.hub.app, token, `/api/periods/${day}/fault-hours?thresholdHours=0.5`)).json();
        const overWant: string[] = [];
        for (const c of CAMERAS) {
          const off = referenceDay(sc, c, localDayStart(day), C)?.offlineMs ?? 0;
          const row = fh.cameras.find((x: { camera: string }) => x.camera === c);
          expect(row?.offlineMs ?? 0, `${c} ${day} offline`).toBe(off);
          if (off > 1_800_000) overWant.push(c);
        }
        expect(fh.towns.find((x: { id: string }) => x.id === 'ta')?.cameras ?? []).toEqual(overWant);
        const m = (await get(t.hub.app, token, `/api/periods/${day.slice(0, 7)}`)).json();
        expect(m.period.kind).toBe('month');
        expect(m.period.closedDays).toBeGreaterThanOrEqual(1);
      }
      expect(bad).toEqual([]);
    },
    240_000,
  );
});

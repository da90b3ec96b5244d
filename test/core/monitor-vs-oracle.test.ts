/**
 * The hub's core against the independent reference accountant (test/support/reference-accountant.ts,
 * written from docs/accounting.md alone): generated evidence streams — silences, flapping,
 * late batches, agent clock skew, evidence older than L, hub restarts, retirements and
 * returns, midnight and month boundaries — played through the core as the hub drives it
 * (test/support/core-scenario-driver.ts) must give exactly the oracle's figures for every
 * closed day of every camera, as known at the instant the day closed, and the same verdict
 * for every item.
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { driveScenario } from '../support/core-scenario-driver.ts';
import { type Scenario, scenarioArb } from '../support/evidence-scenarios.ts';
import { localDayStart, type RefDay, referenceAcceptance, referenceDay } from '../support/reference-accountant.ts';

const cameras = ['A', 'B', 'C'];

const VERDICT = { applied: 'accepted', old: 'old', future: 'future', too_old: 'too_old', unknown_camera: 'retired', not_assigned: 'not_assigned' } as const;

function compare(sc: Scenario): string[] {
  const hub = driveScenario(sc);
  const bad: string[] = [];
  const ref = referenceAcceptance(sc);
  sc.evidence.forEach((e, i) => {
    const v = VERDICT[hub.verdicts[i]!];
    // a camera out of the registry: the hub does not look further (the oracle checks the dates first)
    const same = v === ref[i] || (v === 'retired' && ref[i] !== 'accepted');
    if (!same) bad.push(`item ${i} (${e.camera} at ${e.at} arrival ${e.arrival}): hub ${hub.verdicts[i]}, oracle ${ref[i]}`);
  });
  for (const [key, closedAt] of hub.closedAt) {
    for (const c of sc.cameras) {
      const want = referenceDay(sc, c, localDayStart(key), closedAt);
      const got = hub.days.get(c)!.get(key);
      const plain = (d: RefDay | undefined | null) =>
        d
          ? {
              onlineMs: d.onlineMs,
              offlineMs: d.offlineMs,
              unknownMs: d.unknownMs,
              maintenanceMs: d.maintenanceMs,
              outages: d.outages,
              longestOutageMs: d.longestOutageMs,
              faultMs: d.faultMs,
            }
          : null;
      const a = JSON.stringify(plain(got));
      const b = JSON.stringify(plain(want));
      if (a !== b) bad.push(`${c} ${key} (closed ${new Date(closedAt).toISOString()}): hub ${a}, oracle ${b}`);
    }
  }
  return bad;
}

describe('the core agrees with the reference accountant', () => {
  it('on generated scenarios: every closed day of every camera, every verdict', () => {
    fc.assert(
      fc.property(scenarioArb({ cameras }), (sc) => {
        const bad = compare(sc);
        if (bad.length && process.env.DUMP_SCENARIO) writeFileSync(process.env.DUMP_SCENARIO, JSON.stringify(sc));
        if (bad.length)
          throw new Error(
            `${bad.length} differences:\n${bad.slice(0, 8).join('\n')}\nregistry ${JSON.stringify(sc.registry)} hubDown ${JSON.stringify(sc.hubDown)} start ${sc.start}`,
          );
      }),
      {
        numRuns: Number(process.env.RUNS ?? (process.env.STRYKER_MUTATOR_WORKER ? 15 : 100)),
        seed: Number(process.env.SEED ?? 20261203),
        reporter: (r) => {
          if (r.failed) throw new Error(`seed ${r.seed} path ${r.counterexamplePath}: ${String(r.errorInstance).slice(0, 3000)}`);
        },
      },
    );
  }, 120_000);
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startFleet } from '../../src/simulator/fleet.ts';
import { demoFaults, expectedOnlineShare, parseScenario, scenarioFaults } from '../../src/simulator/scenario.ts';
import { hostFor, makeCameraSpecs, plannedEndpoints } from '../../src/simulator/specs.ts';
import { tcpProbe } from './clients.ts';

describe('camera specs', () => {
  it('are deterministic, 20-digit GB/T 28181 codes, unique, grouped in sites of 2–16', () => {
    const a = makeCameraSpecs(500, { seed: 4 });
    expect(makeCameraSpecs(500, { seed: 4 })).toEqual(a);
    expect(makeCameraSpecs(500, { seed: 5 })).not.toEqual(a);
    expect(a.every((s) => /^3709230000131\d{7}$/.test(s.code))).toBe(true);
    expect(new Set(a.map((s) => s.code)).size).toBe(500);
    expect(new Set(a.map((s) => s.password)).size).toBe(500);
    const sizes = new Map<string, number>();
    for (const s of a) sizes.set(s.siteId!, (sizes.get(s.siteId!) ?? 0) + 1);
    const counts = [...sizes.values()];
    expect(Math.max(...counts.slice(0, -1))).toBeLessThanOrEqual(16);
    expect(Math.min(...counts.slice(0, -1))).toBeGreaterThanOrEqual(2);
    expect(a.every((s) => Math.abs(s.clockSkewMs ?? 0) <= 20_000)).toBe(true);
  });

  it('planned endpoints equal what a fleet with fixed ports really binds', async () => {
    const specs = makeCameraSpecs(3, { seed: 6 });
    const plan = plannedEndpoints(specs, { hostBase: '127.29', onvifPort: 18080, rtspPort: 18554 });
    const fleet = await startFleet({ cameras: specs, hostBase: '127.29', onvifPort: 18080, rtspPort: 18554 });
    try {
      expect(fleet.endpoints()).toEqual(plan);
      expect(await tcpProbe(plan[2]!.host, 18554)).toBe('connected');
    } finally {
      await fleet.close();
    }
    expect(() => plannedEndpoints(specs, { onvifPort: 0, rtspPort: 554 })).toThrow(/fixed/);
  });

  it('address plan: 250 cameras per /24, loopback only', () => {
    expect(hostFor(0)).toBe('127.20.1.1');
    expect(hostFor(249)).toBe('127.20.1.250');
    expect(hostFor(250)).toBe('127.20.2.1');
    expect(hostFor(4999, '127.30')).toBe('127.30.20.250');
    expect(() => hostFor(0, '192.168')).toThrow(/loopback/);
    expect(() => hostFor(70_000)).toThrow();
  });
});

describe('scenarios', () => {
  it('demo mix keeps about 93 % online, uses every offline kind, and is deterministic', () => {
    for (const n of [200, 1730, 5000]) {
      const specs = makeCameraSpecs(n, { seed: 9334 });
      const faults = demoFaults(specs, 9334);
      expect(demoFaults(specs, 9334)).toEqual(faults);
      const share = expectedOnlineShare(faults, specs);
      expect(share).toBeGreaterThan(0.92);
      expect(share).toBeLessThan(0.945);
      const kinds = new Set(faults.map((f) => f.fault));
      for (const k of ['power', 'hang', 'rtsp_down', 'password_changed', 'flapping', 'clock_skew', 'slow']) expect(kinds).toContain(k);
      expect(faults.filter((f) => f.fault === 'power').every((f) => f.site !== undefined)).toBe(true);
    }
    expect(demoFaults(makeCameraSpecs(200, { seed: 1 }), 2)).not.toEqual(demoFaults(makeCameraSpecs(200, { seed: 1 }), 3));
  });

  it('demo mix for 20 cameras still has something offline but not too much', () => {
    const specs = makeCameraSpecs(20, { seed: 1 });
    const share = expectedOnlineShare(demoFaults(specs, 1), specs);
    expect(share).toBeGreaterThanOrEqual(0.9);
    expect(share).toBeLessThan(1);
  });

  it('parses the shipped demo scenario and explicit faults, with line-level errors', () => {
    const demo = parseScenario(readFileSync('src/simulator/scenarios/demo.yaml', 'utf8'));
    expect(demo).toMatchObject({ seed: 9334, cameras: 1730, demo: { offlineShare: expect.closeTo(0.0666, 3) } });
    const sc = parseScenario('seed: 3\nfaults:\n  - { site: SITE-0001, fault: power }\n  - { camera: "X", fault: slow, ms: 800 }\n');
    expect(sc.faults).toEqual([
      { site: 'SITE-0001', fault: 'power' },
      { camera: 'X', fault: 'slow', ms: 800 },
    ]);
    expect(scenarioFaults(sc, makeCameraSpecs(5))).toHaveLength(2);
    expect(() => parseScenario('faults:\n  - { camera: X, fault: meteor }\n')).toThrow(/faults\[0\]/);
    expect(() => parseScenario('faults:\n  - { fault: power }\n')).toThrow(/camera or site/);
  });

  it('a fleet started with a scenario has its faults in force from the start', async () => {
    const specs = makeCameraSpecs(30, { seed: 2 });
    const site = specs[0]!.siteId!;
    const sc = parseScenario(`faults:\n  - { site: ${site}, fault: power }\n  - { camera: "${specs[29]!.code}", fault: rtsp_down }\n`);
    const fleet = await startFleet({ cameras: specs, hostBase: '127.27', faults: scenarioFaults(sc, specs) });
    try {
      const first = fleet.endpoint(specs[0]!.code);
      expect(await tcpProbe(first.host, first.onvifPort)).toBe('ECONNREFUSED');
      const last = fleet.endpoint(specs[29]!.code);
      expect(await tcpProbe(last.host, last.onvifPort)).toBe('connected');
      expect(await tcpProbe(last.host, last.rtspPort)).toBe('ECONNREFUSED');
    } finally {
      await fleet.close();
    }
  });
});

/**
 * The monitor's clock tolerance: evidence dated more than `futureToleranceMs` ahead of the
 * hub's clock is refused (`future`) and leaves the camera exactly as it was — before, one
 * far-future result became the camera's replay guard and every later result was "old": the
 * camera froze in whatever state that result left it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MONITOR_CONFIG, type Grid } from '../../src/core/model.ts';
import { Monitor } from '../../src/core/monitor.ts';
import type { Evidence } from '../../src/core/evidence.ts';

const T0 = Date.UTC(2026, 10, 29, 2, 0, 0);
const grids: Grid[] = [{ id: 'g1', communityId: 'c1', townId: 't1', name: 'G1', kind: 'urban' }];
const ok = (at: number): Evidence => ({ camera: 'cam', at, fault: null, clockOffsetMs: 5 });
const down = (at: number): Evidence => ({ camera: 'cam', at, fault: 'unreachable', clockOffsetMs: null });

function monitor(futureToleranceMs = DEFAULT_MONITOR_CONFIG.futureToleranceMs) {
  return new Monitor({ ...DEFAULT_MONITOR_CONFIG, futureToleranceMs }, grids, [{ code: 'cam', gridId: 'g1', siteId: null, agentId: 'a' }], T0);
}

describe('monitor: evidence dated ahead of the hub', () => {
  it('defaults to a 5-minute tolerance', () => {
    expect(DEFAULT_MONITOR_CONFIG.futureToleranceMs).toBe(300_000);
  });

  it('applies evidence dated up to the tolerance ahead, refuses one millisecond more', () => {
    const m = monitor(60_000);
    expect(m.apply('a', ok(T0 + 60_001), T0)).toBe('future');
    expect(m.apply('a', ok(T0 + 60_000), T0)).toBe('applied');
    // one success of M = 2 from unknown: not online yet
    expect(m.cameras.get('cam')!.state).toBe('unknown');
    // hub at T0 + 1 s, evidence at T0 + 61 s: again exactly the tolerance ahead, applied
    expect(m.apply('a', ok(T0 + 61_000), T0 + 1000)).toBe('applied');
    // placed at its measured instants: online from the first of the two, T0 + 60 s
    expect(m.cameras.get('cam')!).toMatchObject({ state: 'online', stateSince: T0 + 60_000 });
  });

  it('a refused item changes nothing: no replay guard, no last-seen, no streak, no clock offset, no transition', () => {
    const m = monitor();
    m.apply('a', down(T0 - 3000), T0);
    const cam = m.cameras.get('cam')!;
    const before = { ...cam };
    m.drainTransitions();
    expect(m.apply('a', ok(Date.UTC(2100, 0, 1)), T0 + 1000)).toBe('future');
    expect({ ...cam }).toEqual(before);
    expect(m.drainTransitions()).toEqual([]);
  });

  it('one far-future result does not freeze the camera: the later real ones still take it offline and back', () => {
    const m = monitor();
    const cam = m.cameras.get('cam')!;
    expect(m.apply('a', ok(T0), T0)).toBe('applied');
    expect(m.apply('a', ok(T0 + 10_000), T0 + 10_000)).toBe('applied'); // M = 2: online from T0
    expect(cam.state).toBe('online');
    expect(m.apply('a', ok(Date.UTC(2100, 0, 1)), T0 + 10_000)).toBe('future');
    // failures at T0 + 20, 30, 40 s: N = 3 → offline
    for (let i = 1; i <= 3; i++) expect(m.apply('a', down(T0 + 10_000 * (i + 1)), T0 + 10_000 * (i + 1))).toBe('applied');
    expect(cam.state).toBe('offline');
    expect(cam.stateSince).toBe(T0 + 10_000); // offline counts from the last real success (T0 + 10 s)
    m.apply('a', ok(T0 + 50_000), T0 + 50_000);
    m.apply('a', ok(T0 + 60_000), T0 + 60_000);
    expect(cam.state).toBe('online');
    expect(cam.lastResultAt).toBe(T0 + 60_000);
  });

  it('the tolerance is measured from the hub clock of the call, not from the camera’s last evidence', () => {
    const m = monitor(1000);
    expect(m.apply('a', ok(T0 + 5000), T0 + 4000)).toBe('applied');
    expect(m.apply('a', ok(T0 + 5001 + 1000), T0 + 5000)).toBe('future');
    expect(m.apply('a', ok(T0 + 6000), T0 + 5000)).toBe('applied');
  });

  it('who owns the camera is decided first: a foreign or unknown camera is refused as such, even when dated ahead', () => {
    const m = monitor();
    expect(m.apply('b', ok(T0 + 10 * 60_000), T0)).toBe('not_assigned');
    expect(m.apply('a', { ...ok(T0 + 10 * 60_000), camera: 'ghost' }, T0)).toBe('unknown_camera');
  });
});

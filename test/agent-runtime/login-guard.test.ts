/**
 * Lockout safety across the agent's two users of camera credentials: the ladder (scheduler)
 * and the live snapshots share one LoginGuard per camera, so a refused login by either holds
 * the other back for the window. Logins are counted at the simulator: every camera here has
 * `password_changed`, so every login attempt is a refused one (ONVIF NotAuthorized, RTSP or
 * snapshot 401).
 */
import * as fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_BACKOFF, probeCamera } from '../../edge-agent/ladder.ts';
import { LoginGuard } from '../../edge-agent/login-guard.ts';
import { Agent } from '../../edge-agent/agent.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';
import type { ProbeResult } from '../../src/protocol/probe-result.ts';
import { makeCameraSpecs, startFleet, type Fleet } from '../../src/simulator/index.ts';
import { FakeHub } from './fake-hub.ts';
import { captureLog } from './fixtures.ts';
import { testConfig, tmpDir, until } from './harness.ts';

const WINDOW_MS = 60_000;

describe('LoginGuard', () => {
  it('holds a camera back for one window after a refused login; success or new credentials lift it', () => {
    const g = new LoginGuard(1000);
    expect(g.mayLogin('a', 0)).toBe(true);
    g.failed('a', 100);
    expect(g.mayLogin('a', 100)).toBe(false);
    expect(g.mayLogin('a', 1099)).toBe(false);
    expect(g.mayLogin('b', 500)).toBe(true); // per camera
    expect(g.mayLogin('a', 1100)).toBe(true);
    g.failed('a', 2000);
    g.succeeded('a');
    expect(g.mayLogin('a', 2001)).toBe(true);
    g.failed('a', 3000);
    g.credentialsChanged('a');
    expect(g.mayLogin('a', 3001)).toBe(true);
  });

  it('the window must be a number ≥ 0: a negative or NaN window is a configuration error; 0 is allowed', () => {
    expect(() => new LoginGuard(-1)).toThrow(new Error('login guard: windowMs must be ≥ 0'));
    expect(() => new LoginGuard(Number.NaN)).toThrow(new Error('login guard: windowMs must be ≥ 0'));
    const g = new LoginGuard(0);
    expect(g.windowMs).toBe(0);
    g.failed('a', 500);
    expect(g.mayLogin('a', 500)).toBe(true); // a zero window holds nothing back
  });
});

describe('one login guard per camera, shared by the ladder and the snapshots (--auth-backoff governs both)', () => {
  let fleet: Fleet;
  const cleanup: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    fleet = await startFleet({ cameras: makeCameraSpecs(2, { seed: 11 }), hostBase: '127.33' });
    for (const cam of fleet.endpoints()) await fleet.setFault({ camera: cam.code }, 'password_changed');
  });
  afterAll(async () => {
    await fleet?.close();
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  /** login attempts the camera saw (all refused: its password was changed) */
  const logins = (code: string): number => {
    const c = fleet.counters(code);
    return c.onvifAuthFailures + c.rtspAuthFailures + c.snapshotAuthFailures;
  };

  async function agentWith(cameras: AgentCamera[]) {
    const hub = new FakeHub();
    hub.setCameras(cameras, 'v1');
    await hub.start();
    const dir = tmpDir();
    const cap = captureLog('agent');
    // the real ladder against the simulator; 300 ms cycles
    const agent = new Agent(testConfig(dir, hub, { cycleMs: 300, probeTimeoutMs: 1000, authBackoffMs: WINDOW_MS }), { probe: probeCamera, log: cap.log });
    cleanup.push(
      () => hub.close(),
      () => fs.rmSync(dir, { recursive: true, force: true }),
      () => agent.stop(),
    );
    await agent.start();
    return { hub, agent };
  }

  const refusedByCamera = (r: ProbeResult) => r.rungs.some((x) => x.outcome === 'auth');
  const heldBack = (r: ProbeResult) => r.fault === 'auth_failed' && r.rungs.some((x) => x.detail === AUTH_BACKOFF) && !refusedByCamera(r);

  it('after the ladder sees an auth failure, a snapshot of that camera within the window attempts no login', async () => {
    const cam = fleet.endpoints()[0]!;
    const { hub, agent } = await agentWith([cam]);
    await until(() => hub.items.some((r) => r.camera === cam.code && refusedByCamera(r)), 5000, 'the ladder logged in and was refused');
    const before = logins(cam.code);
    expect(before).toBeGreaterThan(0);

    const shot = await agent.snapshots.grab(cam);
    expect(shot).toMatchObject({ ok: false, reason: 'auth' });
    // three more ladder results without credentials, counted, not waited for by the clock
    await until(() => hub.items.filter((r) => r.camera === cam.code && heldBack(r)).length >= 3, 5000, 'three held-back ladder cycles');
    expect(logins(cam.code)).toBe(before);
    expect(fleet.counters(cam.code).snapshotPulls).toBe(0);
    // the ladder kept probing (reachability), without credentials
    const results = hub.items.filter((r) => r.camera === cam.code);
    expect(results.filter(refusedByCamera)).toHaveLength(1);
    expect(results.filter(heldBack).length).toBeGreaterThanOrEqual(2);
  });

  it('after a snapshot sees an auth failure, the ladder probes that camera within the window without a login', async () => {
    const cam = fleet.endpoints()[1]!;
    const { hub, agent } = await agentWith([]);
    const before = logins(cam.code);
    const shot = await agent.snapshots.grab(cam);
    expect(shot).toMatchObject({ ok: false, reason: 'auth' });
    const afterSnapshot = logins(cam.code);
    expect(afterSnapshot).toBeGreaterThan(before); // the snapshot's own (refused) login

    hub.setCameras([cam], 'v2'); // the ladder gets the camera now
    await until(() => hub.items.filter((r) => r.camera === cam.code).length >= 3, 5000, 'three ladder results');
    expect(logins(cam.code)).toBe(afterSnapshot);
    const results = hub.items.filter((r) => r.camera === cam.code);
    expect(results.every(heldBack)).toBe(true);
    // the tcp and onvif_time rungs still ran: the camera is known reachable, its credentials refused
    expect(results.every((r) => r.rungs[0]?.rung === 'tcp' && r.rungs[0].outcome === 'ok')).toBe(true);
  });
});

/**
 * The evidence entry point: only evidence the monitor applied reaches its listeners. An agent
 * reporting cameras of another agent (or codes that exist nowhere) changes nothing anywhere:
 * not the other agent's camera, not its ticket, not the ticket rules' memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EvidenceIntake } from '../../src/services/evidence-intake.ts';
import { Monitor } from '../../src/core/monitor.ts';
import { DEFAULT_MONITOR_CONFIG } from '../../src/core/model.ts';
import type { ProbeResult } from '../../src/protocol/probe-result.ts';
import { DB_KINDS } from '../support/databases.ts';
import { batch, post, result } from '../support/reports.ts';
import { AGENT_A } from '../support/tiny-county.ts';
import { startTicketHub, takeDown, type TicketHub } from '../tickets/support.ts';

describe('evidence intake (core, no hub)', () => {
  it('hands listeners the applied items only, in order; refusals carry their verdict', () => {
    const t0 = Date.UTC(2026, 10, 1);
    const grid = { id: 'g1', communityId: 'c1', townId: 't1', name: 'g1', kind: 'urban' as const };
    const m = new Monitor(
      DEFAULT_MONITOR_CONFIG,
      [grid],
      [
        { code: 'mine', gridId: 'g1', siteId: null, agentId: 'a' },
        { code: 'theirs', gridId: 'g1', siteId: null, agentId: 'b' },
      ],
      t0,
    );
    const intake = new EvidenceIntake(m);
    const seen: string[] = [];
    intake.onApplied((items) => seen.push(...items.map((i) => `${i.camera}@${i.at - t0}`)));
    const out = intake.submit('a', [result('mine', t0 + 1), result('theirs', t0 + 2), result('nowhere', t0 + 3), result('mine', t0 + 1), result('mine', t0 + 4)], t0 + 5);
    expect(seen).toEqual(['mine@1', 'mine@4']); // the replayed 'mine@1' is old: applied once
    expect(out).toEqual({
      applied: 2,
      refused: [
        { index: 1, camera: 'theirs', verdict: 'not_assigned' },
        { index: 2, camera: 'nowhere', verdict: 'unknown_camera' },
      ],
    });
    expect(m.cameras.get('theirs')!.lastResultAt).toBe(-Infinity);
  });
});

describe.each(DB_KINDS)('evidence intake through the hub on %s', (kind) => {
  let h: TicketHub;
  afterEach(async () => h?.close());

  it("a batch holding another agent's cameras leaves that agent's camera and ticket untouched", async () => {
    h = await startTicketHub(kind);
    await h.round(['c09'], null);
    await takeDown(h, ['c09']); // agent B's camera, no site: one camera ticket at once
    const ticket = h.svc().engine.activeFor('c09')!;
    expect(ticket).toBeDefined();
    const rev = ticket.rev;
    const reached: ProbeResult[] = [];
    h.t.hub.intake.onApplied((items) => reached.push(...items));

    // agent A claims c09 is fine (4 rounds: more than the 2 successes that would bring it back),
    // and invents 50 camera codes that fail; its own c01 is fine
    for (let i = 0; i < 4; i++) {
      h.clock.now += 30_000;
      const items = [result('c09', h.clock.now), result('c01', h.clock.now), ...Array.from({ length: 50 }, (_, k) => result(`ghost-${k}`, h.clock.now, 'unreachable'))];
      const r = await post(h.t.hub.app, AGENT_A.token, batch(1000 + i, items, h.clock.now));
      expect(r.statusCode).toBe(200);
      const ack = r.json();
      expect(ack.accepted).toBe(1);
      expect(ack.refused).toHaveLength(51);
      expect(ack.refused[0]).toEqual({ index: 0, camera: 'c09', reason: 'camera is not assigned to this agent', code: 'not_assigned' });
      expect(ack.refused[1]).toEqual({ index: 2, camera: 'ghost-0', reason: 'unknown camera', code: 'unknown_camera' });
    }
    h.svc().tick();
    await h.svc().flush();

    expect(reached.map((r) => r.camera)).toEqual(['c01', 'c01', 'c01', 'c01']);
    expect(h.t.hub.monitor.cameras.get('c09')!.state).toBe('offline');
    const after = h.svc().engine.activeFor('c09')!;
    expect(after.id).toBe(ticket.id);
    expect(after.rev).toBe(rev); // no event: not back, not verified
    expect(after.cameras[0]!.backAt).toBeNull();
    expect(after.cameras[0]!.lastOkAt).toBeNull();
    expect([...h.svc().engine.active.values()].flatMap((t) => t.cameras.map((c) => c.code))).toEqual(['c09']);
  });

  it("failures an agent invents for another agent's camera never become that camera's ticket evidence", async () => {
    h = await startTicketHub(kind);
    await h.round(['c10'], null);
    // agent A reports B's c10 as refusing its password, three times
    for (let i = 0; i < 3; i++) {
      h.clock.now += 1000;
      const r = await post(h.t.hub.app, AGENT_A.token, batch(2000 + i, [result('c10', h.clock.now, 'auth_failed')], h.clock.now));
      expect(r.json().refused).toHaveLength(1);
    }
    await takeDown(h, ['c10'], 'unreachable'); // agent B: really unreachable
    const t = h.svc().engine.activeFor('c10')!;
    expect(t.fault).toBe('unreachable');
    expect(t.evidence.length).toBeGreaterThan(0);
    expect(t.evidence.map((e) => e.fault)).toEqual(t.evidence.map(() => 'unreachable'));
  });
});

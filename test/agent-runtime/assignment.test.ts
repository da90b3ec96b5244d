import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraAssignment, type AssignmentChange } from '../../edge-agent/assignment.ts';
import type { AgentAssignment } from '../../src/protocol/assignment.ts';
import { ProtocolError } from '../../src/protocol/validate.ts';
import { FakeClock } from './fake-clock.ts';
import { camera, cameras, captureLog } from './fixtures.ts';
import { FakeProbe, newAgent, testConfig, until, startFakeHubWithDir } from './harness.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
const setup = (n: number) => startFakeHubWithDir(n, cleanup);

/** an assignment whose first camera has a port that is not a number (and a password the log must not show) */
const malformed = (version: string): AgentAssignment =>
  ({ agent: 'agent-1', version, cameras: [{ ...camera('X', 'malformed-secret-pw'), onvifPort: 'eighty' }] }) as unknown as AgentAssignment;

describe('the camera assignment (one owner: fetch, validate, cache, poll, lookup)', () => {
  it('a malformed assignment from the hub is refused with a log line naming the problem; the agent keeps its cameras', async () => {
    const { hub, dir } = await setup(3);
    const probe = new FakeProbe();
    const { agent, lines, text } = newAgent(testConfig(dir, hub), probe);
    cleanup.push(() => agent.stop());
    await agent.start();
    expect(agent.status()).toMatchObject({ cameras: 3, assignmentVersion: 'v1' });
    hub.assignment = malformed('v2');
    await until(() => lines.some((l) => l.msg === 'refused a malformed camera assignment; keeping the current cameras'), 3000, 'refusal logged');
    const refusal = lines.find((l) => l.msg === 'refused a malformed camera assignment; keeping the current cameras')!;
    expect(String(refusal.problem)).toContain('/cameras/0/onvifPort');
    const fetches = hub.assignmentFetches;
    await until(() => hub.assignmentFetches >= fetches + 3, 5000, 'three more polls'); // logged once, cameras kept
    expect(lines.filter((l) => l.msg === refusal.msg)).toHaveLength(1);
    expect(agent.status()).toMatchObject({ cameras: 3, assignmentVersion: 'v1' });
    expect(probe.calls.some((c) => c.code === 'X')).toBe(false);
    // a good one is taken again
    hub.setCameras(cameras(4), 'v3');
    await until(() => agent.status().assignmentVersion === 'v3', 3000, 'v3 applied');
    expect(agent.status().cameras).toBe(4);
    await agent.stop();
    expect(text.join('\n')).not.toMatch(/secret-pw/);
  });

  it('caches the hub assignment (mode 0600); an agent started while the hub sends garbage runs from the cache', async () => {
    const { hub, dir } = await setup(5);
    const a = newAgent(testConfig(dir, hub), new FakeProbe()).agent;
    cleanup.push(() => a.stop());
    await a.start();
    await a.stop();
    const file = path.join(dir, 'assignment.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    hub.assignment = malformed('v2');
    const probe = new FakeProbe();
    const { agent: b, lines } = newAgent(testConfig(dir, hub), probe);
    cleanup.push(() => b.stop());
    await b.start();
    expect(b.status()).toMatchObject({ cameras: 5, assignmentVersion: 'v1' });
    expect(lines.some((l) => l.msg === 'using cached assignment')).toBe(true);
    expect(lines.some((l) => l.msg === 'refused a malformed camera assignment; keeping the current cameras')).toBe(true);
    // the refused assignment did not overwrite the cache
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ version: 'v1' });
    await until(() => probe.calls.length >= 5, 3000, 'cached cameras probed');
    await b.stop();
  });

  it('a malformed cached assignment is ignored with a log line naming the problem', async () => {
    const { hub, dir } = await setup(2);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'assignment.json'), JSON.stringify({ agent: 'agent-1', version: 'old', cameras: [{ code: 'C' }] }), { mode: 0o600 });
    await hub.down();
    const { agent, lines } = newAgent(testConfig(dir, hub), new FakeProbe());
    cleanup.push(() => agent.stop());
    await agent.start();
    expect(agent.status()).toMatchObject({ cameras: 0, assignmentVersion: null });
    const line = lines.find((l) => l.msg === 'ignoring a malformed cached camera assignment');
    expect(String(line?.problem)).toMatch(/^assignment: \/cameras\/0 must have required properties/);
    await agent.stop();
  });

  it('lookup by code refetches for an unknown code at most every minRefreshMs, sharing one fetch; changes are announced', async () => {
    const clock = new FakeClock();
    let served: AgentAssignment = { agent: 'a', version: '1', cameras: [camera('A')] };
    let fetches = 0;
    const hub = {
      fetchAssignment: async () => {
        fetches++;
        await clock.sleep(10);
        if (served.version === 'bad') throw new ProtocolError('assignment: /version must be string');
        return served;
      },
    };
    const cap = captureLog();
    const a = new CameraAssignment({ config: { cameras: null, camerasFile: null, assignmentPollMs: 30_000, dataDir: null }, hub, clock, log: cap.log, minRefreshMs: 5000 });
    const changes: AssignmentChange[] = [];
    a.onChange((c) => changes.push(c));

    const first = [a.lookup('A'), a.lookup('A'), a.lookup('B')];
    await clock.advance(10);
    expect((await Promise.all(first)).map((c) => c?.code ?? null)).toEqual(['A', 'A', null]);
    expect(fetches).toBe(1);
    expect(changes).toMatchObject([{ added: 1, removed: 0, changed: 0 }]);

    served = { agent: 'a', version: '2', cameras: [camera('A', 'new-pw'), camera('B')] };
    expect(await a.lookup('B')).toBeNull(); // within minRefreshMs of the last fetch: no refetch
    expect(fetches).toBe(1);
    await clock.advance(5000);
    const b = a.lookup('B');
    await clock.advance(10);
    expect((await b)?.code).toBe('B');
    expect(fetches).toBe(2);
    expect(changes[1]).toMatchObject({ added: 1, removed: 0, changed: 1 });
    expect(a.get('A')?.password).toBe('new-pw');

    served = { agent: 'a', version: 'bad', cameras: [] };
    await clock.advance(5000);
    const c = a.lookup('C');
    await clock.advance(10);
    expect(await c).toBeNull();
    expect(a.version).toBe('2'); // refused: the cameras stay
    expect(a.cameras.map((x) => x.code)).toEqual(['A', 'B']);
    expect(cap.lines.some((l) => l.problem === 'assignment: /version must be string')).toBe(true);
  });
});

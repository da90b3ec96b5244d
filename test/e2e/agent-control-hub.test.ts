/**
 * The agent's control paths against the REAL hub (in-process, PGlite; 1 cycle = 100 ms): a
 * batch refused with a 4xx (by the fault proxy in front of the hub: the hub itself only refuses
 * malformed batches), a wrong token (the hub's own 401), a reset data folder (the hub's
 * assignment carries the last seq of its ledger), an operator's change of cameras.csv picked up
 * without an agent restart, and stop/start on one data folder. The hub's ledger (ingest_batches)
 * decides what arrived.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, type AgentConfig } from '../../edge-agent/config.ts';
import { cameras } from '../agent-runtime/fixtures.ts';
import { FakeProbe, metricValue, newAgent, scrape, tmpDir } from '../agent-runtime/harness.ts';
import { startProxy } from '../support/fault-proxy.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { AGENT_A, CAMERA_PASSWORD } from '../support/tiny-county.ts';
import { until } from '../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** The real hub on a loopback port, closed after the test. */
async function realHub(): Promise<{ t: TestHub; port: number; url: string }> {
  const t = await startTestHub('pglite');
  cleanup.push(() => t.close());
  await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.hub.app.server.address() as AddressInfo).port;
  return { t, port, url: `http://127.0.0.1:${port}` };
}

/** Restart the hub (same data and config folders) on the port the agent knows. */
async function restartHub(t: TestHub, port: number): Promise<void> {
  await t.restart();
  await t.hub.app.listen({ port, host: '127.0.0.1' });
}

function agentConfig(hubUrl: string, over: Partial<AgentConfig> = {}): AgentConfig {
  return {
    ...DEFAULTS,
    hubUrl,
    token: AGENT_A.token,
    dataDir: tmpDir(),
    cycleMs: 100,
    probeTimeoutMs: 50,
    assignmentPollMs: 200,
    reportFlushMs: 50,
    hubTimeoutMs: 1000,
    retryBaseMs: 50,
    retryMaxMs: 200,
    metricsPort: 0,
    shutdownGraceMs: 2000,
    ...over,
  };
}

/** A started agent (fake probe), stopped after the test. */
async function startAgent(config: AgentConfig, probe = new FakeProbe()) {
  const a = newAgent(config, probe);
  cleanup.push(() => a.agent.stop());
  await a.agent.start();
  return { ...a, probe };
}

interface Row {
  seq: number;
  accepted: number;
  refused: number;
}

/** The hub's ledger: every batch it committed, by seq (all agents unless one is named). */
async function ledger(t: TestHub, agentId: string | null = AGENT_A.id): Promise<Row[]> {
  const rows = await t.hub.db.query<{ seq: string; accepted: number; refused: number }>(
    `select seq::text, accepted, refused from ingest_batches where $1::text is null or agent_id = $1 order by ingest_batches.agent_id, ingest_batches.seq`,
    [agentId],
  );
  return rows.map((r) => ({ seq: Number(r.seq), accepted: r.accepted, refused: r.refused }));
}

const items = (rows: Row[]) => rows.reduce((n, r) => n + r.accepted + r.refused, 0);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('agent control paths against the real hub', () => {
  it('a batch refused with a 4xx is dead-lettered after one attempt and counted; later batches reach the ledger; the replay fills the gap', async () => {
    const { t, port } = await realHub();
    const proxy = await startProxy(port);
    cleanup.push(() => proxy.close());
    // seqs 2 and 3 are answered 422 by the proxy; the assignment GET and every other batch reach the hub
    proxy.set('reject', { status: 422, body: '{"message":"bad batch"}', seqs: new Set([2, 3]) });
    const config = agentConfig(proxy.url);
    const { agent, lines, probe } = await startAgent(config);
    expect(agent.status().cameras).toBe(5); // agent-a's c01..c05, fetched through the proxy
    // batches go in seq order: once seqs up to 10 are in the ledger, a retry of 2 or 3 would have come first
    await until(async () => (await ledger(t)).length >= 8, 10_000, 'eight batches after the refused ones');
    expect(agent.status().reports.rejected).toBe(2);
    const text = await scrape(agent.metricsPort!);
    expect(metricValue(text, 'sharpeyes_agent_report_errors_total{kind="rejected"}')).toBe(2);
    expect(metricValue(text, 'sharpeyes_agent_dead_letter_written_total')).toBe(2);
    expect(metricValue(text, 'sharpeyes_agent_dead_letter_batches')).toBe(2);
    const refusedLines = lines.filter((l) => l.msg === 'hub refused report batch whole: kept as a dead letter (replay: --replay-dead-letter)');
    expect(refusedLines.map((l) => [l.seq, l.status])).toEqual([
      [2, 422],
      [3, 422],
    ]);
    await agent.stop();

    expect(proxy.refused.map((r) => r.seq)).toEqual([2, 3]);
    expect(proxy.reportAttempts.filter((s) => s === 2 || s === 3)).toEqual([2, 3]); // one attempt each
    expect(agent.status().reports.rejected).toBe(2);
    const rows = await ledger(t);
    const last = rows.at(-1)!.seq;
    expect(rows.map((r) => r.seq)).toEqual([1, ...range(4, last)]); // increasing, nothing lost but the two refused
    // every result produced: in the ledger, or in one of the two dead letters
    expect(items(rows) + proxy.refused.reduce((n, r) => n + r.items, 0)).toBe(probe.produced.length);
    expect(agent.status().spool).toMatchObject({ batches: 0, droppedBatches: 0 });
    expect(t.hub.ingest.counters.badRequests).toBe(0); // the proxy refused them; the hub took every batch it saw
    // the operator replays them (`--replay-dead-letter`) straight to the hub: the gap closes, nothing twice
    const replayer = newAgent({ ...config, hubUrl: `http://127.0.0.1:${port}` }, new FakeProbe()).agent;
    expect(await replayer.replayDeadLetter()).toEqual({ sent: 2, refused: 0, left: 0, refusedItems: 0 });
    expect((await ledger(t)).map((r) => r.seq)).toEqual(range(1, last));
    expect(items(await ledger(t))).toBe(probe.produced.length);
    expect(await replayer.replayDeadLetter()).toEqual({ sent: 0, refused: 0, left: 0, refusedItems: 0 });
  });

  it('a wrong agent token: the hub answers 401, batches are spooled (not dropped), nothing reaches the ledger', async () => {
    const { t, url } = await realHub();
    // cameras from the config: the hub refuses this token its assignment as well
    const { agent, lines, probe } = await startAgent(agentConfig(url, { token: 'not-a-token-of-this-county-0123', cameras: cameras(5) }));
    await until(() => agent.status().reports.authFailures > 1 && agent.status().spool.batches > 2, 10_000, 'batches refused at the door and spooled');
    const text = await scrape(agent.metricsPort!);
    // read before stop: a send in flight when the agent stops ends as a transient error (a race, not the hub)
    const reports = agent.status().reports;
    await agent.stop();

    // said as what it is, once, not as "hub unavailable"
    const said = lines.filter((l) => l.msg === 'hub refused the agent token: reports are spooled (not lost) until the token is fixed');
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ status: 401, level: 50 });
    expect(lines.some((l) => l.msg === 'hub unavailable: spooling reports')).toBe(false);
    expect(metricValue(text, 'sharpeyes_agent_hub_auth_refused')).toBe(1);
    expect(metricValue(text, 'sharpeyes_agent_report_errors_total{kind="auth"}')).toBeGreaterThan(1);
    expect(reports).toMatchObject({ rejected: 0, sent: 0, itemsSent: 0, transientErrors: 0, deadLettered: 0 });
    expect(probe.produced.length).toBeGreaterThan(0);
    expect(agent.status().spool).toMatchObject({ items: probe.produced.length, droppedBatches: 0 });
    expect(agent.status().spool.batches).toBe(agent.status().reports.batches);
    expect(await ledger(t, null)).toEqual([]); // no agent's ledger got anything
    expect(t.hub.ingest.counters.batches).toBe(0);
    expect(t.hub.ingest.counters.badRequests).toBeGreaterThan(1); // the hub's own 401s
  });

  it('an agent whose data folder was reset continues above the last seq of the hub ledger: gapless, no duplicates', async () => {
    const { t, port, url } = await realHub();
    const probe = new FakeProbe();
    const first = await startAgent(agentConfig(url), probe);
    await until(async () => (await ledger(t)).length >= 3, 10_000, 'three batches from the first run');
    await first.agent.stop();
    const before = await ledger(t);
    const lastSeen = before.at(-1)!.seq;
    expect(before.map((r) => r.seq)).toEqual(range(1, lastSeen));
    // the hub restarts: the lastSeq of its assignment now comes from the ledger in its database
    await restartHub(t, port);

    const second = await startAgent(agentConfig(url), probe); // a fresh data folder: no seq file, no spool
    expect(second.lines.find((l) => /continuing above them/.test(String(l.msg)))).toMatchObject({ next: lastSeen + 1 });
    await until(async () => (await ledger(t)).length >= before.length + 3, 10_000, 'three batches from the reset agent');
    await second.agent.stop();

    const rows = await ledger(t);
    expect(rows.map((r) => r.seq)).toEqual(range(1, rows.at(-1)!.seq)); // gapless across the reset
    expect(second.agent.status().reports.duplicates).toBe(0); // no batch answered as one the hub had seen
    expect(t.hub.ingest.counters.duplicateBatches).toBe(0);
    expect(items(rows)).toBe(probe.produced.length);
    expect(rows.every((r) => r.refused === 0)).toBe(true);
  });

  it("picks up the operator's cameras.csv change (hub restarted) without an agent restart; no password in its log", async () => {
    const { t, port, url } = await realHub();
    const { agent, lines, text, probe } = await startAgent(agentConfig(url));
    const v1 = agent.status().assignmentVersion;
    expect(agent.status().cameras).toBe(5);
    const callsOf = (code: string, after = 0) => probe.calls.filter((c) => c.code === code && c.at > after).length;
    await until(() => callsOf('c02') >= 2 && callsOf('c03') >= 2, 10_000, 'c02 and c03 probed twice');

    // the operator: c02 leaves the registry, c11 joins agent-a's town (grid ga2) with a password of its own
    const changedAt = Date.now();
    const NEW_PASSWORD = 'Fresh-cam-pw-c11!';
    const csv = join(t.configDir, 'cameras.csv');
    const rowsBefore = readFileSync(csv, 'utf8').split('\n');
    const c02 = rowsBefore.find((l) => l.startsWith('c02,'))!;
    const c11 = `c11,Camera 11,ga2,,35.99,116.49,127.0.0.1,9010,/onvif/device_service,9110,/Streaming/Channels/101,hikvision,admin,${NEW_PASSWORD},`;
    writeFileSync(csv, [...rowsBefore.filter((l) => l !== c02 && l !== ''), c11, ''].join('\n'));
    await restartHub(t, port);

    await until(() => agent.status().assignmentVersion !== v1, 10_000, 'the new assignment applied');
    const applied = Date.now();
    await until(() => callsOf('c11', applied) >= 3 && callsOf('c01', applied) >= 3, 10_000, 'three cycles of the new assignment');
    await agent.stop();

    expect(callsOf('c02', applied)).toBe(0);
    expect(agent.status().cameras).toBe(5);
    const appliedLines = lines.filter((l) => l.msg === 'camera assignment applied');
    expect(appliedLines.at(-1)).toMatchObject({ cameras: 5, added: 1, removed: 1, changed: 0, version: agent.status().assignmentVersion });
    // the hub took c11's results from this agent; c02 is gone from it
    expect(t.hub.monitor.cameras.get('c11')?.lastSuccessAt).toBeGreaterThanOrEqual(changedAt);
    expect(t.hub.monitor.cameras.has('c02')).toBe(false);
    const log = text.join('\n');
    expect(log).not.toContain(CAMERA_PASSWORD);
    expect(log).not.toContain(NEW_PASSWORD);
    expect(t.logLines.join('\n')).not.toContain(NEW_PASSWORD);
  });

  it('stop() then start() of a new agent on the same data folder: every result in the ledger once, seqs gapless', async () => {
    const { t, url } = await realHub();
    const probe = new FakeProbe();
    const config = agentConfig(url);
    const first = await startAgent(config, probe);
    const metricsPort = first.agent.metricsPort!;
    await until(async () => (await ledger(t)).length >= 3, 10_000, 'three batches from the first run');
    await first.agent.stop();
    await expect(scrape(metricsPort)).rejects.toThrow(); // the metrics server closed
    expect(first.agent.status().spool.batches).toBe(0); // delivered within the shutdown grace
    const mid = await ledger(t);
    expect(items(mid)).toBe(probe.produced.length);

    const second = await startAgent(config, probe);
    expect(second.lines.some((l) => /continuing above them/.test(String(l.msg)))).toBe(false); // its own seq file sufficed
    await until(async () => (await ledger(t)).length >= mid.length + 3, 10_000, 'three batches from the second run');
    await second.agent.stop();

    const rows = await ledger(t);
    expect(rows.map((r) => r.seq)).toEqual(range(1, rows.at(-1)!.seq)); // the second run went on from the first's next seq
    expect(items(rows)).toBe(probe.produced.length);
    expect(rows.every((r) => r.refused === 0)).toBe(true);
    expect(first.agent.status().reports.itemsSent + second.agent.status().reports.itemsSent).toBe(probe.produced.length);
    expect(first.agent.status().reports.duplicates + second.agent.status().reports.duplicates).toBe(0);
    expect(t.hub.ingest.counters.duplicateBatches).toBe(0);
    expect(second.agent.status().spool).toMatchObject({ batches: 0, droppedBatches: 0 });
  });
});

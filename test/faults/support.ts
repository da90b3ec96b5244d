/**
 * The fault campaign's shared parts: a simulated camera fleet with the tiny county pointed at
 * it, a real agent (edge-agent/agent.ts, real ladder) configured for short cycles, the count of
 * results the agent produced (from its own metrics: every result handed to the reporter) and
 * the count the hub stored (its ledger, ingest_batches). FAULT_SCALE=long (npm run faults)
 * stretches every fault to the durations.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../edge-agent/agent.ts';
import { DEFAULTS, type AgentConfig } from '../../edge-agent/config.ts';
import { probeCamera } from '../../edge-agent/ladder.ts';
import type { ProbeFn } from '../../edge-agent/scheduler.ts';
import type { Database } from '../../src/db/client.ts';
import { makeCameraSpecs, startFleet, type Fleet } from '../../src/simulator/index.ts';
import { captureLog } from '../agent-runtime/fixtures.ts';
import { AGENT_A, writeTinyCounty } from '../support/tiny-county.ts';

export const LONG = process.env.FAULT_SCALE === 'long';
/** `short` in the test run, `long` under npm run faults */
export const scaled = (short: number, long: number): number => (LONG ? long : short);

const GRID = ['ga1', 'ga1', 'ga1', 'ga2', 'ga2', 'gb1', 'gb1', 'gb1', 'gb2', 'gb2'];
const SITE = ['s1', 's1', 's1', '', '', 's2', 's2', 's2', '', ''];
export const CODES = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09', 'c10'];

/** ten simulated cameras (real ONVIF + RTSP on 127.x addresses) and the tiny county's files naming them */
export async function fleetCounty(hostBase: string): Promise<{ fleet: Fleet; configDir: string }> {
  const specs = makeCameraSpecs(10, { seed: 11 }).map((s, i) => ({ ...s, code: CODES[i]!, siteId: SITE[i] || null }));
  const fleet = await startFleet({ cameras: specs, hostBase });
  const configDir = writeTinyCounty();
  const rows = fleet.endpoints().map((e, i) => {
    const path = new URL(e.rtspUrl).pathname;
    return `${e.code},Camera ${e.code},${GRID[i]},${SITE[i]},35.9,116.4,${e.host},${e.onvifPort},${e.onvifPath},${e.rtspPort},${path},hikvision,${e.username},${e.password},`;
  });
  writeFileSync(
    join(configDir, 'cameras.csv'),
    'code,name,grid,site,lat,lon,host,onvif_port,onvif_path,rtsp_port,rtsp_path,vendor,username,password,agent\n' + rows.join('\n') + '\n',
  );
  return { fleet, configDir };
}

export function agentConfig(hubUrl: string, dataDir: string, over: Partial<AgentConfig> = {}): AgentConfig {
  return {
    ...DEFAULTS,
    hubUrl,
    token: AGENT_A.token,
    dataDir,
    cycleMs: 250,
    probeTimeoutMs: 1500,
    assignmentPollMs: 500,
    reportFlushMs: 100,
    hubTimeoutMs: 800,
    retryBaseMs: 50,
    retryMaxMs: 400,
    metricsPort: null,
    shutdownGraceMs: 5000,
    ...over,
  };
}

export function startAgent(config: AgentConfig, probe: ProbeFn = probeCamera) {
  const cap = captureLog('agent');
  const agent = new Agent(config, { probe, log: cap.log });
  return { agent, ...cap };
}

/** results the agent produced: one tcp rung per result handed to the reporter */
export async function produced(agent: Agent): Promise<number> {
  const m = await agent.metrics.probesTotal.get();
  return m.values.filter((v) => v.labels.rung === 'tcp').reduce((a, v) => a + v.value, 0);
}

/** what the hub's ledger holds for agent-a: items per seq */
export async function ledger(db: Database): Promise<{ seqs: number[]; items: number; refused: number }> {
  const rows = await db.query<{ seq: string; accepted: number; refused: number }>(
    `select seq::text, accepted, refused from ingest_batches where agent_id = $1 order by ingest_batches.seq`,
    [AGENT_A.id],
  );
  return { seqs: rows.map((r) => Number(r.seq)), items: rows.reduce((a, r) => a + r.accepted + r.refused, 0), refused: rows.reduce((a, r) => a + r.refused, 0) };
}

/** the seqs form 1..n without a gap */
export const gapless = (seqs: number[]): boolean => seqs.every((s, i) => s === seqs[0]! + i);

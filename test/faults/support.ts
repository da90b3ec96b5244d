/**
 * The fault campaign's shared parts: a simulated camera fleet with the tiny county pointed at
 * it, a real agent (edge-agent/agent.ts, real ladder) configured for short cycles, the count of
 * results the agent produced (from its own metrics: every result handed to the reporter) and
 * the count the hub stored (its ledger, ingest_batches). FAULT_SCALE=long (npm run faults)
 * stretches every fault to the durations.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * A small tmpfs on a fresh folder in TMPDIR (root only): `skip` says why not when mount is not
 * permitted; `unmount()` unmounts it (if mounted) and removes the folder.
 */
export function mountTmpfs(size: string): { dir: string; skip: string | null; unmount: () => void } {
  const dir = fs.mkdtempSync(join(tmpdir(), 'se-enospc-'));
  const unmount = (mounted: boolean) => () => {
    if (mounted) {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // a file still open in this process (a spool's reader): detach now, freed when it closes
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir, skip: null, unmount: unmount(true) };
  } catch (e) {
    return { dir, unmount: unmount(false), skip: `cannot mount a tmpfs here (${(e as Error).message.split('\n')[0]}): the ENOSPC fault needs root or CAP_SYS_ADMIN` };
  }
}

/** take every byte left on the file system of `dir` */
export function fill(dir: string): number {
  const fd = fs.openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let bytes = 0;
  try {
    for (let i = 0; i < 10_000; i++) {
      try {
        bytes += fs.writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        // the last partial block: smaller writes until not a byte is left
        for (let n = 32 * 1024; n >= 1; n = Math.floor(n / 2)) {
          try {
            for (let k = 0; k < 64; k++) bytes += fs.writeSync(fd, chunk.subarray(0, n));
          } catch {
            /* next smaller size */
          }
        }
        return bytes;
      }
    }
    throw new Error('the tmpfs never filled');
  } finally {
    fs.closeSync(fd);
  }
}

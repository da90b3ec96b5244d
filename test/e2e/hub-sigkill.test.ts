/**
 * Fault injection: the hub process is killed with SIGKILL in the middle of ingest (PGlite
 * data folder), restarted on the same folder, and the agent's spooled batches replay.
 * Every batch the agent made is in the ledger exactly once, with no gap: an acknowledged
 * batch survived the kill, an unacknowledged one came back from the spool.
 */
import { freePort, until } from '../support/wait.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../edge-agent/agent.ts';
import { DEFAULTS } from '../../edge-agent/config.ts';
import { probeCamera } from '../../edge-agent/ladder.ts';
import { createLogger } from '../../src/log.ts';
import { openDatabase } from '../../src/db/client.ts';
import { makeCameraSpecs, startFleet, type Fleet } from '../../src/simulator/index.ts';

const TOKEN = 'sigkill-agent-token-0123456789';
const ROOT = join(import.meta.dirname, '..', '..');

describe('hub killed with SIGKILL mid-ingest (PGlite)', () => {
  let fleet: Fleet;
  let agent: Agent;
  let hub: ChildProcess | null = null;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), 'se-kill-'));
  const configDir = join(dir, 'config');
  const dataDir = join(dir, 'data');

  const startHubProcess = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', configDir, '--data', dataDir, '--port', String(port)], {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    await until(
      () =>
        fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
      'hub ready',
    );
    return child;
  };

  beforeAll(async () => {
    fleet = await startFleet({ cameras: makeCameraSpecs(12, { seed: 5 }), hostBase: '127.45' });
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'county.yaml'),
      `county: { id: k, name: K }\ntowns:\n  - id: t1\n    name: 一镇\n    kind: town\n    communities:\n      - id: v1\n        name: 一村\n        kind: village\n        grids:\n          - { id: g1, name: 一网格, kind: rural }\n`,
    );
    writeFileSync(join(configDir, 'agents.yaml'), `agents:\n  - { id: k1, name: K1, token: ${TOKEN}, towns: [t1] }\n`);
    writeFileSync(join(configDir, 'users.yaml'), `users:\n  - { username: admin, role: admin, password: kill-admin }\n`);
    const rows = fleet
      .endpoints()
      .map((e, i) =>
        [e.code, `cam ${i}`, 'g1', '', '', '', e.host, e.onvifPort, e.onvifPath, e.rtspPort, new URL(e.rtspUrl).pathname, 'hikvision', e.username, e.password, ''].join(','),
      );
    writeFileSync(
      join(configDir, 'cameras.csv'),
      'code,name,grid,site,lat,lon,host,onvif_port,onvif_path,rtsp_port,rtsp_path,vendor,username,password,agent\n' + rows.join('\n') + '\n',
    );
    port = await freePort();
    hub = await startHubProcess();
    agent = new Agent(
      {
        ...DEFAULTS,
        hubUrl: `http://127.0.0.1:${port}`,
        token: TOKEN,
        dataDir: join(dir, 'agent'),
        metricsPort: null,
        cycleMs: 400,
        probeTimeoutMs: 300,
        reportFlushMs: 100,
        retryBaseMs: 100,
        retryMaxMs: 400,
        assignmentPollMs: 1000,
      },
      { probe: probeCamera, log: createLogger('agent', { write: () => true } as unknown as NodeJS.WritableStream) },
    );
    await agent.start();
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    hub?.kill('SIGKILL');
    await fleet?.close();
  });

  it('loses nothing and duplicates nothing', async () => {
    await until(() => agent.status().reports.sent >= 10, 20_000, 'ten batches acknowledged');
    hub!.kill('SIGKILL');
    await new Promise((r) => hub!.once('exit', r));
    await until(() => agent.status().spool.batches >= 3, 10_000, 'batches spooled while the hub is dead');
    hub = await startHubProcess();
    await until(() => agent.status().spool.batches === 0, 30_000, 'spool replayed');
    await until(() => agent.status().reports.sent >= 30, 20_000, 'more batches after the restart');
    await agent.stop();
    // stop the hub cleanly and read its ledger straight from the data folder
    hub.kill('SIGTERM');
    await new Promise((r) => hub!.once('exit', r));
    hub = null;
    const db = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
    try {
      const rows = await db.query<{ seq: string }>(`select seq::text as seq from ingest_batches where agent_id = 'k1'`);
      const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
      expect(seqs.length).toBeGreaterThanOrEqual(30);
      expect(seqs[0]).toBe(1);
      expect(seqs.at(-1)! - seqs[0]! + 1, 'no gap in the ledger').toBe(seqs.length);
      expect(agent.status().spool.droppedBatches).toBe(0);
      const transitions = await db.query<{ n: number }>(`select count(*)::int as n from camera_transitions`);
      expect(transitions[0]!.n).toBeGreaterThanOrEqual(12); // every camera's first unknown → online/offline survived
    } finally {
      await db.close();
    }
  }, 120_000);
});

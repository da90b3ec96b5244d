/**
 * agent.rss_mb_50k: RSS of a process running one agent with 50,000 cameras assigned and
 * scheduled (its own process: nothing else loaded). The probe is stubbed — this is the
 * memory of assignment, scheduler, reporter and spool, not of 50,000 sockets.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../edge-agent/agent.ts';
import { DEFAULTS } from '../edge-agent/config.ts';
import { createLogger } from '../src/log.ts';
import type { ProbeResult } from '../src/protocol/probe-result.ts';
import type { AgentCamera } from '../src/protocol/assignment.ts';
import { figure } from './support.ts';

const quiet = createLogger('bench', { write: () => true } as unknown as NodeJS.WritableStream);
{
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const cams: AgentCamera[] = Array.from({ length: 50_000 }, (_, i) => ({
    code: `37092300001320${String(i + 1).padStart(6, '0')}`,
    host: `127.60.${(i >> 8) & 255}.${i & 255}`,
    onvifPort: 80,
    onvifPath: '/onvif/device_service',
    rtspPort: 554,
    rtspUrl: `rtsp://127.60.${(i >> 8) & 255}.${i & 255}:554/Streaming/Channels/101`,
    username: 'admin',
    password: `pw-${i}`,
    siteId: `s${i >> 3}`,
  }));
  const dir = mkdtempSync(join(tmpdir(), 'se-bench-mem-'));
  const stub = async (cam: AgentCamera): Promise<ProbeResult> => ({
    camera: cam.code,
    at: Date.now(),
    fault: null,
    clockOffsetMs: 0,
    rungs: [{ rung: 'tcp', outcome: 'ok', ms: 0.1 }],
  });
  const agent = new Agent(
    { ...DEFAULTS, hubUrl: 'http://127.0.0.1:9', token: 'x'.repeat(20), dataDir: dir, metricsPort: null, cameras: cams, cycleMs: 5000, spoolMaxBytes: 64 * 1024 * 1024 },
    { probe: stub, log: quiet },
  );
  await agent.start();
  await new Promise((r) => setTimeout(r, 6000)); // one full cycle (hub unreachable: results spool)
  global.gc?.();
  const rss = process.memoryUsage().rss;
  figure('agent.rss_mb_50k', rss / 1048576, 'MB', {
    cameras: 50_000,
    baselineMb: Math.round(rss0 / 1048576),
    note: 'whole bench process, probe stubbed, hub unreachable so results spool',
    goal: '< 200',
  });
  await agent.stop();
}
process.exit(0);

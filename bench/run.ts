/**
 * npm run bench: every figure as one JSON line {"name","value","unit",…}.
 * Each bench runs in its own process (clean RSS, no shared event loop).
 * BENCH_ONLY=hub,agent,… limits which run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const benches: [string, string[]][] = [
  ['hub', ['bench/hub-ingest.ts', 'pglite']],
  ['hub', ['bench/hub-ingest.ts', 'postgres']],
  ['agent', ['bench/agent.ts']],
  ['agent', ['bench/agent-process.ts']],
  ['agent', ['bench/agent-rss.ts']],
  ['tickets', ['bench/tickets.ts']],
  ['live', ['bench/live.ts']],
  ['metrics', ['bench/metrics.ts']],
];
const only = process.env.BENCH_ONLY?.split(',');
let failed = 0;
for (const [group, args] of benches) {
  if (only && !only.includes(group)) continue;
  if (!existsSync(args[0]!)) {
    process.stderr.write(`bench file ${args[0]} is missing\n`);
    failed++;
    continue;
  }
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', ...args], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(JSON.stringify({ name: `${group}.error`, value: r.status ?? -1, unit: 'exit', bench: args.join(' ') }) + '\n');
  }
}
if (failed > 0) {
  process.stderr.write(`${failed} bench(es) failed\n`);
  process.exit(1);
}

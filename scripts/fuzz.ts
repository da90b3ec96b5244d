/**
 * `npm run fuzz`: the fuzz campaign with large counts (test/fuzz, FUZZ_RUNS inputs per surface,
 * default 10,000; `npm run fuzz -- 20000` for more). `npm run faults`: the fault campaign
 * (test/faults) at its long settings (FAULT_SCALE=long: minutes of flapping, PostgreSQL away 60 s).
 * Prints one row per surface — inputs tried, crashes, hangs, 5xx (faults: their counts) — and
 * exits ≠ 0 when any is not zero or a test failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const faults = process.argv.includes('--faults');
const countArg = process.argv.slice(2).find((a) => /^\d+$/.test(a));
const runs = Number(countArg ?? process.env.FUZZ_RUNS ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'se-fuzz-'));
const summary = join(dir, 'summary.jsonl');
const env = { ...process.env, FUZZ_SUMMARY: summary, ...(faults ? { FAULT_SCALE: 'long' } : { FUZZ_RUNS: String(runs) }) };
const started = Date.now();
const res = spawnSync('npx', ['vitest', 'run', faults ? 'test/faults' : 'test/fuzz', '--testTimeout=7200000', '--hookTimeout=300000'], {
  stdio: 'inherit',
  env,
  cwd: join(import.meta.dirname, '..'),
});
let rows: Record<string, unknown>[] = [];
try {
  rows = readFileSync(summary, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
} catch {
  /* no summary: every test failed before counting */
}
rmSync(dir, { recursive: true, force: true });

let bad = res.status !== 0;
console.log(`\n${faults ? 'fault' : 'fuzz'} campaign, ${Math.round((Date.now() - started) / 1000)} s${faults ? '' : `, ${runs} inputs per surface asked`}`);
if (!faults) {
  console.log(`${'surface'.padEnd(28)}${'inputs'.padStart(8)}${'crashes'.padStart(9)}${'hangs'.padStart(7)}${'5xx'.padStart(6)}${'s'.padStart(7)}`);
  for (const r of rows.filter((r) => r.kind === 'fuzz')) {
    const n = (k: string) => Number(r[k] ?? 0);
    if (n('crashes') + n('hangs') + n('status5xx') > 0 || n('inputs') < runs) bad = true;
    console.log(
      `${String(r.surface).padEnd(28)}${String(n('inputs')).padStart(8)}${String(n('crashes')).padStart(9)}${String(n('hangs')).padStart(7)}${String(n('status5xx')).padStart(6)}${(n('ms') / 1000).toFixed(1).padStart(7)}${r.firstFailure ? `  first failure: ${String(r.firstFailure)}` : ''}`,
    );
  }
} else {
  for (const r of rows.filter((r) => r.kind === 'fault')) {
    const { kind: _k, surface, ...counts } = r;
    for (const [k, v] of Object.entries(counts))
      if (/^(lost|lostCounted|lostBatches|duplicated|duplicateTickets|crashes|fiveHundreds|outagesMissedAcrossRestart)$/.test(k) && Number(v) !== 0) bad = true;
    if (Number(counts.uncountedLostItems ?? 0) > 0) {
      bad = true; // fixed (spool.ts checks its writes): any item lost without a log line fails the run
      console.log(`  ${counts.uncountedLostItems} items lost without a log line (a spool write the full disk cut short? test/faults/spool-short-write.test.ts)`);
    }
    console.log(
      `${String(surface).padEnd(22)} ${Object.entries(counts)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  }
}
if (rows.length === 0) bad = true;
if (res.status !== 0) console.log(`vitest exited with ${res.status}`);
console.log(bad ? 'FAILED' : 'ok: zero everywhere');
process.exit(bad ? 1 : 0);

/**
 * The gate of `npm run test:mutation`: reads the JSON reports of both Stryker configs
 * (reports/mutation/{core,hub}.json), prints the mutation score per folder over both, and
 * fails when a folder the issue names (src/core, src/notify, src/services, edge-agent,
 * src/log.ts) is below the threshold. Stryker's own `thresholds.break` only sees the total of
 * one config; the goal is per folder and spans both.
 *
 * Score as Stryker prints it ("total"): (killed + timeout) / (killed + timeout + survived + no coverage).
 */
import { existsSync, readFileSync } from 'node:fs';

const REPORTS = ['reports/mutation/core.json', 'reports/mutation/hub.json'];
const GATED = ['src/core', 'src/notify', 'src/services', 'edge-agent', 'src/log.ts'];
const threshold = Number(process.env.MUTATION_THRESHOLD ?? 80);

interface Mutant {
  status: string;
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

const tally = new Map<string, { detected: number; valid: number }>();
const add = (key: string, m: Mutant) => {
  const t = tally.get(key) ?? { detected: 0, valid: 0 };
  if (m.status === 'Killed' || m.status === 'Timeout') {
    t.detected++;
    t.valid++;
  } else if (m.status === 'Survived' || m.status === 'NoCoverage') t.valid++;
  tally.set(key, t);
};

const missing = REPORTS.filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.error(`mutation gate: no report at ${missing.join(', ')} (run \`npm run test:mutation\` first)`);
  process.exit(2);
}
for (const path of REPORTS) {
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const parts = file.split('/');
    for (const m of mutants) {
      add('all', m);
      for (let i = 1; i <= parts.length; i++) add(parts.slice(0, i).join('/'), m);
    }
  }
}

const score = (k: string) => {
  const t = tally.get(k);
  return t && t.valid > 0 ? (100 * t.detected) / t.valid : Number.NaN;
};
const rows = [...tally.keys()].filter((k) => k !== 'all').sort();
console.log(`mutation score per folder (both configs), threshold ${threshold} %`);
for (const k of ['all', ...rows]) {
  const t = tally.get(k)!;
  const depth = k === 'all' ? 0 : k.split('/').length;
  const mark = GATED.includes(k) ? (score(k) >= threshold ? '  ok' : '  BELOW') : '';
  console.log(`${'  '.repeat(depth)}${k.padEnd(40 - 2 * depth)} ${score(k).toFixed(2).padStart(6)} %  (${t.detected}/${t.valid})${mark}`);
}
const below = GATED.filter((k) => !(score(k) >= threshold));
if (below.length > 0) {
  console.error(`mutation gate: below ${threshold} %: ${below.map((k) => `${k} ${score(k).toFixed(2)} %`).join(', ')}`);
  process.exit(1);
}
console.log(`mutation gate: every gated folder ≥ ${threshold} %`);

/**
 * The fuzz campaign's bookkeeping: how many inputs per surface (FUZZ_RUNS, default small so
 * `npm test` stays fast; `npm run fuzz` sets ≥ 10,000), a per-surface tally of inputs tried,
 * crashes (a throw where an answer was due, an uncaught exception or unhandled rejection while
 * the surface ran), hangs (no answer within the surface's deadline) and 5xx answers, one
 * printed summary line per surface, and the same line appended to $FUZZ_SUMMARY (JSON lines)
 * for scripts/fuzz.ts to print as a table and decide the exit code.
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';

export interface Tally {
  surface: string;
  inputs: number;
  crashes: number;
  hangs: number;
  status5xx: number;
  ms: number;
  /** the first failing input (shrunk by fast-check where it could), for the report */
  firstFailure?: string;
}

/** inputs per surface: FUZZ_RUNS when set, else `dflt` (the bounded count of the test run) */
export function runsFor(dflt: number): number {
  const n = Number(process.env.FUZZ_RUNS ?? '');
  return Number.isInteger(n) && n > 0 ? n : dflt;
}

/** a wall-clock budget for one surface's test: the test timeout scales with the count */
export function budgetMs(runs: number, perInputMs: number, baseMs = 20_000): number {
  return baseMs + runs * perInputMs;
}

export type Verdict = 'ok' | 'crash' | 'hang' | '5xx';

export class HangError extends Error {}

/** `p` or a HangError after `ms` */
export async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new HangError(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const short = (v: unknown): string => {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (fc.stringify(v) as string);
  } catch {
    s = String(v);
  }
  return s.length > 600 ? `${s.slice(0, 600)}… (${s.length} chars)` : s;
};

/**
 * Run `check` over `runs` inputs of `arb`. `check` says what one input did; any thrown error is
 * a crash, a HangError a hang. Process-level errors (uncaughtException, unhandledRejection) while
 * the campaign runs are counted as crashes too. The first failing input is shrunk by fast-check
 * (bounded) and kept in the tally. Prints one summary line.
 */
export async function campaign<T>(surface: string, arb: fc.Arbitrary<T>, runs: number, check: (input: T) => Promise<Verdict>, seed?: number, silent = false): Promise<Tally> {
  const tally: Tally = { surface, inputs: 0, crashes: 0, hangs: 0, status5xx: 0, ms: 0 };
  let processErrors = 0;
  let lastProcessError = '';
  const onErr = (e: unknown) => {
    processErrors++;
    lastProcessError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  };
  process.on('uncaughtException', onErr);
  process.on('unhandledRejection', onErr);
  const started = performance.now();
  let shrinking = false;
  try {
    const judge = async (input: T): Promise<Verdict> => {
      try {
        return await check(input);
      } catch (e) {
        return e instanceof HangError ? 'hang' : 'crash';
      }
    };
    const res = await fc.check(
      fc.asyncProperty(arb, async (input) => {
        const v = await judge(input);
        if (!shrinking) {
          tally.inputs++;
          if (v === 'crash') tally.crashes++;
          if (v === 'hang') tally.hangs++;
          if (v === '5xx') tally.status5xx++;
        }
        if (v !== 'ok' && !shrinking) shrinking = true; // the runs after this one are fast-check's shrinking
        return v === 'ok';
      }),
      { numRuns: runs, ...(seed !== undefined ? { seed } : {}), endOnFailure: false, interruptAfterTimeLimit: 30 * 60_000, markInterruptAsFailure: false },
    );
    if (res.failed && res.counterexample) tally.firstFailure = short(res.counterexample[0]);
    // shrinking stops the count at the first failure: the other inputs were not tried
  } finally {
    process.off('uncaughtException', onErr);
    process.off('unhandledRejection', onErr);
  }
  if (processErrors > 0) {
    tally.crashes += processErrors;
    tally.firstFailure ??= `process-level error: ${lastProcessError}`;
  }
  tally.ms = Math.round(performance.now() - started);
  if (!silent) report(tally);
  return tally;
}

/**
 * The same, `lanes` inputs at a time (each on its own lane: its own hostile peer), for surfaces
 * where most of an input's time is spent waiting on a deadline. The worst verdict of a group is
 * the group's; every input of a group counts as tried.
 */
export async function parallelCampaign<T>(surface: string, arb: fc.Arbitrary<T>, runs: number, lanes: number, check: (input: T, lane: number) => Promise<Verdict>): Promise<Tally> {
  const rank: Record<Verdict, number> = { ok: 0, '5xx': 1, hang: 2, crash: 3 };
  let perInput = { crashes: 0, hangs: 0, status5xx: 0 };
  const groups = Math.ceil(runs / lanes);
  const t = await campaign(
    surface,
    fc.array(arb, { minLength: lanes, maxLength: lanes }),
    groups,
    async (group) => {
      const vs = await Promise.all(group.map((input, lane) => check(input, lane).catch((e): Verdict => (e instanceof HangError ? 'hang' : 'crash'))));
      const count = { crashes: vs.filter((v) => v === 'crash').length, hangs: vs.filter((v) => v === 'hang').length, status5xx: vs.filter((v) => v === '5xx').length };
      if (count.crashes + count.hangs + count.status5xx > 0 && perInput.crashes + perInput.hangs + perInput.status5xx === 0) perInput = count;
      return vs.reduce((a, b) => (rank[b] > rank[a] ? b : a), 'ok' as Verdict);
    },
    undefined,
    true,
  );
  const tally: Tally = { ...t, inputs: t.inputs * lanes, ...(t.crashes + t.hangs + t.status5xx > 0 ? perInput : {}) };
  report(tally);
  return tally;
}

export function report(t: Tally): void {
  const line = `[fuzz] ${t.surface}: inputs=${t.inputs} crashes=${t.crashes} hangs=${t.hangs} 5xx=${t.status5xx} ms=${t.ms}${t.firstFailure ? ` first-failure=${t.firstFailure}` : ''}`;
  console.log(line);
  const file = process.env.FUZZ_SUMMARY;
  if (file) appendFileSync(file, JSON.stringify({ kind: 'fuzz', ...t }) + '\n');
}

/** fault campaigns: one line of counts */
export function reportFault(name: string, counts: Record<string, number | string | boolean>): void {
  console.log(
    `[fault] ${name}: ${Object.entries(counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  const file = process.env.FUZZ_SUMMARY;
  if (file) appendFileSync(file, JSON.stringify({ kind: 'fault', surface: name, ...counts }) + '\n');
}

/** A string that stresses parsers: unicode, controls, quotes, long runs */
export const nastyString = (maxLength = 300): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.constantFrom('', ' ', '\u0000', '\u202e', '"', "'", '\\', '</x>', '$' + '{x}', '%s%n', '\r\n', '🚨'.repeat(50), 'a'.repeat(5000), '-0', 'NaN', '1e309'),
  );

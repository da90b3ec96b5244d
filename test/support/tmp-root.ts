/**
 * Once per test run: one temporary folder that every test's mkdtemp lands in (TMPDIR, read by
 * os.tmpdir() in the workers and the processes they start), removed when the run ends. Hubs'
 * PGlite folders (≈ 40 MB each), counties, spools and browser profiles would otherwise pile up
 * in /tmp run after run (23 GB after ten runs and a mutation session).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'se-test-run-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true });
  };
}

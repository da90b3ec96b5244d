/**
 * Vitest reporter (next to the default one): after the run, one line per missing test peer
 * whose tests were skipped (or, with SHARPEYES_REQUIRE_PEERS=1, failed), naming the Debian
 * packages and the command that installs them. Prints nothing when no test needed a missing peer.
 *
 * Tests say which peer they missed in their task meta (test/support/peers.ts); the peer's
 * label, packages and install command come from this process's own detection.
 */
import type { Reporter, TestModule } from 'vitest/node';
import { PEER_NAMES, type PeerName, peer } from './peers.ts';

const tests = (k: number): string => `${k} ${k === 1 ? 'test' : 'tests'}`;

export default class PeerReport implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const byPeer = new Map<PeerName, { skipped: number; failed: number; why: string }>();
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const { missingPeer, missingPeerWhy } = t.meta();
        if (!missingPeer) continue;
        const n = byPeer.get(missingPeer) ?? { skipped: 0, failed: 0, why: missingPeerWhy ?? '' };
        const state = t.result().state;
        if (state === 'skipped') n.skipped++;
        else if (state === 'failed') n.failed++;
        byPeer.set(missingPeer, n);
      }
    }
    const lines: string[] = [];
    for (const name of PEER_NAMES) {
      const n = byPeer.get(name);
      if (!n || n.skipped + n.failed === 0) continue;
      const p = peer(name);
      const why = p.present ? `in a test worker: ${n.why}; present in the main process` : p.why;
      const counts: string[] = [];
      if (n.skipped) counts.push(`skipped ${tests(n.skipped)}`);
      if (n.failed) counts.push(`failed ${tests(n.failed)}`);
      lines.push(`${counts.join(', ')}: ${p.label} missing (${why}) — install: ${p.install}`);
    }
    if (lines.length) process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}

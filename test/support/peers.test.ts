/** The peer registry and scripts/install-test-peers.sh agree; the environment switches parse. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTALL_SCRIPT, installCommand, PEER_NAMES, peer, peersRequired, pretendedMissing, requiredMessage } from './peers.ts';

const script = readFileSync(join(import.meta.dirname, '..', '..', INSTALL_SCRIPT), 'utf8');

/** the script's `[peer]='pkg pkg'` table */
function scriptPackages(): Record<string, string[]> {
  const table = /declare -A PEER_PACKAGES=\(\n([\s\S]*?)\n\)/.exec(script)?.[1] ?? '';
  return Object.fromEntries([...table.matchAll(/\[([\w-]+)\]='([^']*)'/g)].map((m) => [m[1], (m[2] ?? '').split(/\s+/).filter(Boolean)]));
}

describe('test peers', () => {
  it('the install script installs exactly the packages each peer names', () => {
    const fromScript = scriptPackages();
    expect(Object.keys(fromScript).sort()).toEqual([...PEER_NAMES].sort());
    for (const name of PEER_NAMES) expect(fromScript[name], name).toEqual(peer(name).packages);
    expect(script).toMatch(/^ALL_PEERS=\((.*)\)$/m);
    expect(/^ALL_PEERS=\((.*)\)$/m.exec(script)?.[1]?.split(' ').sort()).toEqual([...PEER_NAMES].sort());
  });

  it('the install command names the script, the peer and its packages', () => {
    expect(installCommand('gstreamer')).toBe(
      'sudo scripts/install-test-peers.sh gstreamer (apt-get install -y --no-install-recommends gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly python3-gi)',
    );
    const p = { ...peer('chromium'), present: false, why: 'no /usr/bin/chromium' };
    expect(requiredMessage(p)).toBe(
      'Chromium missing (no /usr/bin/chromium), and SHARPEYES_REQUIRE_PEERS=1 forbids skipping — install: sudo scripts/install-test-peers.sh chromium (apt-get install -y --no-install-recommends chromium fonts-wqy-microhei)',
    );
  });

  it('SHARPEYES_PRETEND_MISSING and SHARPEYES_REQUIRE_PEERS parse; an unknown peer name throws', () => {
    expect([...pretendedMissing({})]).toEqual([]);
    expect([...pretendedMissing({ SHARPEYES_PRETEND_MISSING: ' gstreamer, Chromium ' })]).toEqual(['gstreamer', 'chromium']);
    expect(pretendedMissing({ SHARPEYES_PRETEND_MISSING: 'all' }).size).toBe(PEER_NAMES.length);
    expect(() => pretendedMissing({ SHARPEYES_PRETEND_MISSING: 'gstremer' })).toThrow(/unknown peer gstremer/);
    expect(peersRequired({})).toBe(false);
    expect(peersRequired({ SHARPEYES_REQUIRE_PEERS: '0' })).toBe(false);
    expect(peersRequired({ SHARPEYES_REQUIRE_PEERS: '1' })).toBe(true);
  });
});

/**
 * Test peers: programs from Debian packages that some tests drive (GStreamer's RTSP server,
 * Chromium, Python). One place knows, per peer, how to detect it, which packages provide it
 * and how to install them (scripts/install-test-peers.sh installs the same lists). A test
 * file declares what it needs:
 *
 *   describeWithPeer('gstreamer', 'gst-rtsp-server (Digest)', () => { … });
 *   itWithPeer('python3', 'SYN never answered → timeout', async () => { … });
 *
 * A missing peer skips those tests; test/support/peer-report.ts then prints one line per
 * missing peer at the end of the run. With SHARPEYES_REQUIRE_PEERS=1 (CI) they fail instead,
 * naming the packages, so a peer can never be skipped silently.
 * SHARPEYES_PRETEND_MISSING=gstreamer,chromium (or `all`) reports those peers missing without
 * looking, to try the missing path on a machine that has them.
 *
 * Detection is synchronous and cached per process (each test worker and the main process
 * detect for themselves).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it, type TestFunction, type TestOptions } from 'vitest';

export const PYTHON3 = '/usr/bin/python3';
export const PERL = '/usr/bin/perl';
export const CHROMIUM = '/usr/bin/chromium';
export const INSTALL_SCRIPT = 'scripts/install-test-peers.sh';

export type PeerName = 'gstreamer' | 'chromium' | 'prometheus' | 'docker-compose' | 'python3' | 'openssl' | 'rtsp-server-perl';

declare module 'vitest' {
  interface TaskMeta {
    /** set on a test skipped (or, with SHARPEYES_REQUIRE_PEERS=1, failed) because this peer is missing */
    missingPeer?: PeerName;
    /** why the worker found it missing */
    missingPeerWhy?: string;
  }
}

interface PeerSpec {
  label: string;
  /** Debian packages that provide it */
  packages: string[];
  /** null when present, else why it is missing */
  detect(): string | null;
}

/** The python check for the GStreamer peer: the typelibs test/support/gst-rtsp-server.py imports and the elements of one of its pipelines. */
const GST_CHECK = [
  'import gi',
  "for ns in ('Gst', 'GstRtsp', 'GstRtspServer'): gi.require_version(ns, '1.0')",
  'from gi.repository import Gst, GstRtsp, GstRtspServer',
  'Gst.init(None)',
  'have = lambda *es: all(Gst.ElementFactory.find(e) for e in es)',
  "missing = [] if have('videotestsrc') else ['videotestsrc']",
  "if not (have('x264enc', 'rtph264pay') or have('jpegenc', 'rtpjpegpay')): missing.append('x264enc+rtph264pay or jpegenc+rtpjpegpay')",
  "if missing: raise SystemExit('GStreamer elements missing: ' + ', '.join(missing))",
].join('\n');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && executable(join(dir, bin)));
}

function lastLine(s: string): string {
  return s.trim().split('\n').at(-1)?.trim() ?? '';
}

/** Runs a short check command; null when it exits 0, else a one-line reason. */
function check(cmd: string, args: string[], what: string, timeoutMs: number): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return `${what}: ${(r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `timed out after ${timeoutMs / 1000} s` : r.error.message}`;
  if (r.status === 0) return null;
  return `${what}: ${lastLine(r.stderr) || lastLine(r.stdout) || `exit ${r.status ?? r.signal}`}`;
}

const SPECS: Record<PeerName, PeerSpec> = {
  gstreamer: {
    label: 'GStreamer RTSP server',
    packages: ['gir1.2-gst-rtsp-server-1.0', 'gstreamer1.0-plugins-base', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-ugly', 'python3-gi'],
    detect: () => {
      if (!executable(PYTHON3)) return `no ${PYTHON3}`;
      // the first Gst.init on a machine builds the plugin registry (a few seconds); later ones take ~0.1 s
      return check(PYTHON3, ['-c', GST_CHECK], 'python3 gi/GstRtspServer check', 10_000);
    },
  },
  chromium: {
    label: 'Chromium',
    packages: ['chromium', 'fonts-wqy-microhei'],
    detect: () => (executable(CHROMIUM) ? null : `no ${CHROMIUM}`),
  },
  prometheus: {
    label: 'Prometheus (prometheus, promtool)',
    packages: ['prometheus'],
    detect: () => {
      const absent = ['prometheus', 'promtool'].filter((b) => !onPath(b));
      return absent.length ? `not on PATH: ${absent.join(', ')}` : null;
    },
  },
  'docker-compose': {
    label: 'docker-compose',
    packages: ['docker-compose'],
    detect: () => {
      if (onPath('docker-compose')) return null;
      if (onPath('docker') && check('docker', ['compose', 'version'], 'docker compose', 5_000) === null) return null;
      return 'neither docker-compose nor the docker compose plugin on PATH';
    },
  },
  python3: {
    label: 'Python 3',
    packages: ['python3'],
    detect: () => (executable(PYTHON3) ? null : `no ${PYTHON3}`),
  },
  openssl: {
    label: 'OpenSSL command line (test certificates)',
    packages: ['openssl'],
    detect: () => (onPath('openssl') ? null : 'openssl not on PATH'),
  },
  'rtsp-server-perl': {
    label: "Debian's RTSP::Server (Perl RTSP relay with max_clients)",
    packages: ['librtsp-server-perl'],
    detect: () => (executable(PERL) ? check(PERL, ['-MRTSP::Server', '-e', '1'], 'perl -MRTSP::Server', 10_000) : `no ${PERL}`),
  },
};

export const PEER_NAMES = Object.keys(SPECS) as PeerName[];

export interface Peer {
  name: PeerName;
  label: string;
  packages: string[];
  present: boolean;
  /** why it is missing; null when present */
  why: string | null;
  /** the command that installs it */
  install: string;
}

/** SHARPEYES_PRETEND_MISSING, checked: unknown names throw (a typo would otherwise test nothing). */
export function pretendedMissing(env: NodeJS.ProcessEnv = process.env): Set<PeerName> {
  const names = (env.SHARPEYES_PRETEND_MISSING ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.includes('all')) return new Set(PEER_NAMES);
  const unknown = names.filter((n) => !(n in SPECS));
  if (unknown.length) throw new Error(`SHARPEYES_PRETEND_MISSING: unknown peer ${unknown.join(', ')} (known: ${PEER_NAMES.join(', ')}, all)`);
  return new Set(names as PeerName[]);
}

/** SHARPEYES_REQUIRE_PEERS=1: a missing peer fails its tests instead of skipping them. */
export function peersRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'true', 'yes'].includes((env.SHARPEYES_REQUIRE_PEERS ?? '').trim().toLowerCase());
}

export function installCommand(name: PeerName): string {
  return `sudo ${INSTALL_SCRIPT} ${name} (apt-get install -y --no-install-recommends ${SPECS[name].packages.join(' ')})`;
}

const cache = new Map<PeerName, Peer>();

/** The peer, detected once per process. */
export function peer(name: PeerName): Peer {
  const spec = SPECS[name];
  if (!spec) throw new Error(`unknown test peer ${String(name)} (known: ${PEER_NAMES.join(', ')})`);
  let p = cache.get(name);
  if (!p) {
    const why = pretendedMissing().has(name) ? 'pretended by SHARPEYES_PRETEND_MISSING' : spec.detect();
    p = { name, label: spec.label, packages: spec.packages, present: why === null, why, install: installCommand(name) };
    cache.set(name, p);
  }
  return p;
}

/** The message a test fails with when its peer is missing and SHARPEYES_REQUIRE_PEERS=1. */
export function requiredMessage(p: Peer): string {
  return `${p.label} missing (${p.why}), and SHARPEYES_REQUIRE_PEERS=1 forbids skipping — install: ${p.install}`;
}

function missingMeta(p: Peer): TestOptions['meta'] {
  return { missingPeer: p.name, missingPeerWhy: p.why ?? '' };
}

/**
 * `describe` that needs a peer: runs when it is present; skipped when missing; when missing
 * and required, replaced by one failing test naming the packages (the body is not collected,
 * so its hooks never try to start the missing program).
 */
export function describeWithPeer(name: PeerName, title: string, fn: () => void): void {
  const p = peer(name);
  if (p.present) describe(title, fn);
  else if (peersRequired()) {
    describe(title, { meta: missingMeta(p) }, () => {
      it(`needs ${p.label}`, () => {
        throw new Error(requiredMessage(p));
      });
    });
  } else describe(title, { skip: true, meta: missingMeta(p) }, fn);
}

/** `it` that needs a peer; same rules as describeWithPeer. `options` as in `it(title, options, fn)`. */
export function itWithPeer(name: PeerName, title: string, fn: TestFunction): void;
export function itWithPeer(name: PeerName, title: string, options: TestOptions, fn: TestFunction): void;
export function itWithPeer(name: PeerName, title: string, a: TestFunction | TestOptions, b?: TestFunction): void {
  const [options, fn] = typeof a === 'function' ? [{}, a] : [a, b as TestFunction];
  const p = peer(name);
  if (p.present) it(title, options, fn);
  else if (peersRequired()) {
    it(title, { ...options, meta: missingMeta(p) }, () => {
      throw new Error(requiredMessage(p));
    });
  } else it(title, { ...options, skip: true, meta: missingMeta(p) }, fn);
}

/**
 * The agent over HTTPS to the real hub (TLS_CERT/TLS_KEY), with certificates made by openssl
 * at test time: a pinned CA or certificate fingerprint lets the reports, the assignment and
 * the command channel's WebSocket through; a certificate that is not the pinned one is
 * refused on the TLS socket before any byte of a request (so the token never leaves), the
 * refusal is logged, and the reports stay spooled until a hub with the right certificate
 * takes them — none lost. And `ps`: an agent started the recommended way (token in an
 * owner-only file) shows no token on its command line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Agent } from '../../edge-agent/agent.ts';
import { CommandChannel } from '../../edge-agent/command-channel.ts';
import { type AgentConfig, DEFAULTS, loadConfig } from '../../edge-agent/config.ts';
import { HubLink } from '../../edge-agent/hub-link.ts';
import type { HubTlsConfig } from '../../edge-agent/hub-tls.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { describeWithPeer } from '../support/peers.ts';
import { type CertFiles, makeTestCerts } from '../support/test-certs.ts';
import { AGENT_A } from '../support/tiny-county.ts';
import { camera, captureLog, result } from './fixtures.ts';
import { FakeProbe, sleep, tmpDir, until } from './harness.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
function dir(): string {
  const d = tmpDir();
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
function tokenFile(): string {
  const f = path.join(dir(), 'agent-token');
  fs.writeFileSync(f, `${AGENT_A.token}\n`, { mode: 0o600 });
  return f;
}

/** A TLS server that is not the hub: counts connections and every byte a client writes after the handshake. */
async function rogueServer(certs: CertFiles): Promise<{ url: string; handshakes: () => number; received: () => string; close(): Promise<void> }> {
  let handshakes = 0;
  let received = '';
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ cert: certs.rogueCertPem, key: certs.rogueKeyPem }, (s) => {
    sockets.add(s);
    s.on('data', (d: Buffer) => (received += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connection', () => handshakes++);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handshakes: () => handshakes,
    received: () => received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describeWithPeer('openssl', 'the agent and an HTTPS hub', () => {
  let certs: CertFiles;
  let t: TestHub;
  let url: string;
  beforeAll(async () => {
    certs = makeTestCerts();
    t = await startTestHub('pglite', { tls: { certFile: certs.hubCertFile, keyFile: certs.hubKeyFile } });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    url = `https://127.0.0.1:${(t.hub.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t?.close();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  function agentConfig(dataDir: string, over: Partial<AgentConfig>): AgentConfig {
    return {
      ...DEFAULTS,
      hubUrl: url,
      token: AGENT_A.token,
      dataDir,
      metricsPort: null,
      cycleMs: 200,
      probeTimeoutMs: 100,
      reportFlushMs: 50,
      retryBaseMs: 50,
      retryMaxMs: 200,
      shutdownGraceMs: 300,
      ...over,
    };
  }

  it('pinned CA (--hub-ca, from the command line): reports, assignment and the command channel all go through', async () => {
    const config = loadConfig(['--hub', url, '--hub-ca', certs.caFile, '--token-file', tokenFile(), '--data', dir(), '--metrics-port', 'off', '--cycle', '0.3'], {});
    expect(config.hubTls?.ca).toContain('BEGIN CERTIFICATE');
    const probe = new FakeProbe();
    const agent = new Agent({ ...config, reportFlushMs: 50 }, { probe: probe.probe, log: captureLog('agent').log });
    cleanup.push(() => agent.stop());
    await agent.start(); // the assignment came over HTTPS (start waits for it)
    expect(agent.status().cameras).toBe(5); // agent-a: c01..c05
    await until(() => t.hub.monitor.cameras.get('c01')!.lastResultAt > 0, 10_000, 'a report over HTTPS');
    await until(() => t.hub.live.agents.connected().includes(AGENT_A.id), 10_000, 'the command channel over wss');
    expect(agent.status().reports.transientErrors).toBe(0);
  });

  it('a pinned fingerprint alone trusts the hub certificate without a CA; nothing pinned, the system store refuses the test CA', async () => {
    const fp = new HubLink({ hubUrl: url, token: AGENT_A.token, tls: { fingerprints: [certs.hubFingerprint] } });
    cleanup.push(() => fp.close());
    expect((await fp.fetchAssignment()).cameras.length).toBe(5);
    const both = new HubLink({ hubUrl: url, token: AGENT_A.token, tls: { ca: certs.caPem, fingerprints: [certs.hubFingerprint] } });
    cleanup.push(() => both.close());
    expect((await both.fetchAssignment()).cameras.length).toBe(5);
    const none = new HubLink({ hubUrl: url, token: AGENT_A.token });
    cleanup.push(() => none.close());
    await expect(none.fetchAssignment()).rejects.toThrow(/certificate/i);
    // the right CA but not the pinned certificate (e.g. another server the CA signed): refused
    const wrong = new HubLink({ hubUrl: url, token: AGENT_A.token, tls: { ca: certs.caPem, fingerprints: [certs.rogueFingerprint] }, log: captureLog('agent').log });
    cleanup.push(() => wrong.close());
    await expect(wrong.fetchAssignment()).rejects.toThrow(/matches no pinned fingerprint/);
  });

  it('a server with another certificate is dialled but gets not one byte: no request line, no token (reports and WebSocket alike)', async () => {
    const rogue = await rogueServer(certs);
    cleanup.push(() => rogue.close());
    const { log, lines } = captureLog('agent');
    const pins: HubTlsConfig = { fingerprints: [certs.hubFingerprint] };
    const link = new HubLink({ hubUrl: rogue.url, token: AGENT_A.token, tls: pins, log });
    cleanup.push(() => link.close());
    const out = await link.sendBatch({ seq: 1, sentAt: Date.now(), items: [result('c01', Date.now())] });
    expect(out).toMatchObject({ kind: 'retry' });
    expect(out.kind === 'retry' && out.detail).toMatch(/hub certificate sha256:[0-9a-f]{64} matches no pinned fingerprint/);
    const ch = new CommandChannel({ hubUrl: rogue.url, token: AGENT_A.token, tls: pins, cameras: async () => null, log, backoff: { baseMs: 50, maxMs: 100 } });
    cleanup.push(() => ch.close());
    ch.start();
    await until(() => rogue.handshakes() >= 3, 5000, 'connections from the link and the channel');
    await sleep(200);
    expect(ch.connected).toBe(false);
    expect(rogue.received()).toBe('');
    // logged once per certificate and link (reports, command channel), not per attempt; with what was seen and what was pinned
    const refusals = lines.filter((l) => String(l.msg).includes('does not match the pinned fingerprint'));
    expect(rogue.handshakes()).toBeGreaterThan(2);
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toMatchObject({ fingerprint: `sha256:${certs.rogueFingerprint}`, pinned: [`sha256:${certs.hubFingerprint}`] });
    // control: pin the rogue's certificate and the same harness sees the request and its token
    const trusting = new HubLink({ hubUrl: rogue.url, token: AGENT_A.token, tls: { fingerprints: [certs.rogueFingerprint] }, timeoutMs: 500 });
    cleanup.push(() => trusting.close());
    await trusting.sendBatch({ seq: 1, sentAt: Date.now(), items: [] });
    expect(rogue.received()).toContain('POST /api/agent/reports');
    expect(rogue.received()).toContain(`Bearer ${AGENT_A.token}`);
  });

  it('the real hub under a wrong pin: the agent spools every report (logged), and a restart with the right pin delivers them all', async () => {
    const data = dir();
    const { log, lines } = captureLog('agent');
    const local = { cameras: [camera('c01'), camera('c02')] };
    const probe = new FakeProbe();
    const refused = new Agent(agentConfig(data, { ...local, hubTls: { ca: certs.caPem, fingerprints: [certs.rogueFingerprint] } }), { probe: probe.probe, log });
    cleanup.push(() => refused.stop());
    await refused.start();
    await until(() => refused.status().spool.items >= 6, 10_000, 'results spooled');
    await refused.stop();
    const spooled = refused.status().spool.items;
    expect(lines.some((l) => String(l.msg).includes('does not match the pinned fingerprint'))).toBe(true);
    expect(lines.some((l) => l.msg === 'hub unavailable: spooling reports' && String(l.detail).includes('matches no pinned fingerprint'))).toBe(true);
    expect(t.hub.monitor.cameras.get('c02')!.lastResultAt).toBe(Number.NEGATIVE_INFINITY);
    const produced = probe.produced.filter((r) => r.camera === 'c02').length;

    const fixed = new Agent(agentConfig(data, { ...local, hubTls: { fingerprints: [certs.hubFingerprint] } }), { probe: new FakeProbe().probe, log: captureLog('agent').log });
    cleanup.push(() => fixed.stop());
    await fixed.start();
    await until(() => fixed.status().spool.batches === 0 && fixed.status().reports.itemsSent >= spooled, 10_000, 'spool delivered');
    expect(t.hub.monitor.cameras.get('c02')!.lastResultAt).toBeGreaterThan(0);
    // every spooled result reached the hub's ledger (accepted or, for older ones of a camera, counted there too)
    const rows = await t.hub.db.query<{ n: string }>(`select coalesce(sum(accepted + refused), 0)::text as n from ingest_batches where agent_id = $1`, [AGENT_A.id]);
    expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(spooled);
    expect(produced).toBeGreaterThan(0);
  });

  it('`ps` shows no token for an agent started the recommended way (--token-file); it does for --token, so the check can see one', async () => {
    const run = (extra: string[], env: NodeJS.ProcessEnv): ChildProcess => {
      const p = spawn(
        process.execPath,
        ['--import', 'tsx', 'edge-agent/main.ts', '--hub', url, '--hub-ca', certs.caFile, '--data', dir(), '--metrics-port', 'off', '--cycle', '1', ...extra],
        {
          env: { ...process.env, SHARPEYES_AGENT_TOKEN: '', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      p.stdout!.resume();
      p.stderr!.resume();
      const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      const exited = new Promise<void>((r) => p.once('close', () => r()));
      cleanup.push(async () => {
        clearTimeout(timer);
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
        await exited;
      });
      return p;
    };
    const argvOf = (pid: number) => ({
      proc: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '),
      ps: spawnText('ps', ['-ww', '-o', 'args=', '-p', String(pid)]),
    });
    const before = t.hub.monitor.cameras.get('c03')!.lastResultAt;
    const good = run(['--token-file', tokenFile()], {});
    // it works: its (refused-connection) results for agent-a's cameras reach the hub over HTTPS
    await until(() => t.hub.monitor.cameras.get('c03')!.lastResultAt > Math.max(before, 0), 30_000, 'the process agent reports');
    const seen = argvOf(good.pid!);
    expect(seen.proc).toContain('--token-file');
    expect(seen.proc).not.toContain(AGENT_A.token);
    expect(await seen.ps).not.toContain(AGENT_A.token);
    expect(await seen.ps).toContain('edge-agent/main.ts');
    // nor its environment (`ps e` shows that to the same user and root): the token is only in the 0600 file
    expect(fs.readFileSync(`/proc/${good.pid}/environ`, 'utf8')).not.toContain(AGENT_A.token);

    const bad = run(['--token', AGENT_A.token], {}); // loopback: taken (the demo), and visible
    await until(() => fs.existsSync(`/proc/${bad.pid}/cmdline`), 5000, 'process up');
    expect(argvOf(bad.pid!).proc).toContain(AGENT_A.token);
  }, 60_000);
});

function spawnText(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('close', () => resolve(out));
    p.on('error', () => resolve(''));
  });
}

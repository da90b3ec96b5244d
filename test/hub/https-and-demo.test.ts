/**
 * Transport and the demo (issue 14, item 6), the hub's side: TLS_CERT + TLS_KEY make the hub
 * serve HTTPS (and only HTTPS); a missing half or a key of another certificate stops the start
 * with the reason. The demo draws a new random agent token per run, writes its files
 * owner-only (folders 0700, files 0600) and refuses a non-loopback address unless --demo-force.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSettingError, readHubEnv } from '../../src/hub/env.ts';
import { writeDemoFiles } from '../../src/hub/demo.ts';
import { loadConfig } from '../../edge-agent/config.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { describeWithPeer } from '../support/peers.ts';
import { type CertFiles, makeTestCerts } from '../support/test-certs.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
function dir(): string {
  const d = fs.mkdtempSync(path.join(tmpdir(), 'se-https-'));
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function get(mod: typeof http | typeof https, url: string, opts: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { ...opts, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('TLS_CERT / TLS_KEY', () => {
  it('go together, from the environment', () => {
    expect(readHubEnv({ TLS_CERT: '/c.pem', TLS_KEY: '/k.pem' }, []).tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    expect(readHubEnv({}, []).tls).toBeUndefined();
    expect(() => readHubEnv({ TLS_CERT: '/c.pem' }, [])).toThrow('TLS_CERT and TLS_KEY go together');
    expect(() => readHubEnv({ TLS_KEY: '/k.pem' }, [])).toThrow(HubSettingError);
  });
});

describeWithPeer('openssl', 'the hub over HTTPS', () => {
  let certs: CertFiles;
  let t: TestHub;
  let port: number;
  beforeAll(async () => {
    certs = makeTestCerts();
    t = await startTestHub('pglite', { tls: { certFile: certs.hubCertFile, keyFile: certs.hubKeyFile } });
    await t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.hub.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  it('answers https:// with its certificate, and not plain http://', async () => {
    const ok = await get(https, `https://127.0.0.1:${port}/readyz`, { ca: certs.caPem });
    expect(ok.status).toBe(200);
    expect(t.hub.tls?.certPem).toContain('BEGIN CERTIFICATE');
    expect(t.logLines.some((l) => l.includes('serving HTTPS') && l.includes(certs.hubFingerprint))).toBe(true);
    // a client that does not trust the CA is refused by its own TLS check
    await expect(get(https, `https://127.0.0.1:${port}/readyz`)).rejects.toThrow(/certificate/i);
    // plain HTTP to the TLS port: no HTTP answer (the TLS server cannot parse it)
    const plain = await get(http, `http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain === 'refused' || plain === 400).toBe(true);
  });

  it('a key of another certificate, a missing file or a non-PEM file stops the start with the reason', async () => {
    const base = { dataDir: dir() };
    await expect(startTestHub('pglite', { ...base, tls: { certFile: certs.hubCertFile, keyFile: certs.rogueKeyFile } })).rejects.toThrow(/is not the key of TLS_CERT/);
    await expect(startTestHub('pglite', { ...base, tls: { certFile: path.join(certs.dir, 'absent.pem'), keyFile: certs.hubKeyFile } })).rejects.toThrow(/TLS_CERT .*ENOENT/);
    const junk = path.join(dir(), 'junk.pem');
    fs.writeFileSync(junk, 'not a key');
    await expect(startTestHub('pglite', { ...base, tls: { certFile: certs.hubCertFile, keyFile: junk } })).rejects.toThrow(/TLS_KEY .*not a PEM private key/);
  });
});

describe('the demo', () => {
  it('draws a random agent token per run (crypto.randomBytes), written into agents.yaml and agent-token', () => {
    const a = writeDemoFiles(dir(), 20);
    const b = writeDemoFiles(dir(), 20);
    expect(a.agentToken).not.toBe(b.agentToken);
    expect(a.agentToken).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(a.agentToken).not.toBe('demo-agent-token-change-me');
    const agents = parseYaml(fs.readFileSync(path.join(a.configDir, 'agents.yaml'), 'utf8')) as { agents: { token: string }[] };
    expect(agents.agents[0]!.token).toBe(a.agentToken);
    expect(fs.readFileSync(a.tokenFile, 'utf8').trim()).toBe(a.agentToken);
    // the agent takes that file as it is (owner-only), the recommended way
    expect(loadConfig(['--hub', 'http://127.0.0.1:8080', '--token-file', a.tokenFile], {}).token).toBe(a.agentToken);
    // a second run in the same folder: a new token
    const again = writeDemoFiles(path.dirname(a.configDir), 20);
    expect(again.agentToken).not.toBe(a.agentToken);
  });

  it('writes its files 0600 in 0700 folders, also over files an older demo left world-readable', () => {
    const d = dir();
    const demo = path.join(d, 'demo');
    fs.mkdirSync(path.join(demo, 'config'), { recursive: true, mode: 0o755 });
    fs.chmodSync(demo, 0o755);
    fs.chmodSync(path.join(demo, 'config'), 0o755);
    fs.writeFileSync(path.join(demo, 'config', 'users.yaml'), 'old', { mode: 0o644 });
    fs.writeFileSync(path.join(demo, 'stale.txt'), 'old', { mode: 0o644 });
    const { configDir } = writeDemoFiles(demo, 20);
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    expect(mode(demo)).toBe(0o700);
    expect(mode(configDir)).toBe(0o700);
    const files = [...fs.readdirSync(demo).map((f) => path.join(demo, f)), ...fs.readdirSync(configDir).map((f) => path.join(configDir, f))].filter((f) => fs.statSync(f).isFile());
    expect(files.map((f) => path.basename(f)).sort()).toEqual(
      ['agent-token', 'agents.yaml', 'cameras.csv', 'county.yaml', 'scenario.yaml', 'sim-cameras.json', 'stale.txt', 'users.yaml'].sort(),
    );
    for (const f of files) expect(mode(f), f).toBe(0o600);
  });

  it('refuses a non-loopback address unless --demo-force', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'hub.example.org']) {
      expect(() => readHubEnv({ HOST: host }, ['--demo']), host).toThrow(/--demo listens on loopback only.*--demo-force/);
      expect(readHubEnv({ HOST: host }, ['--demo', '--demo-force'])).toMatchObject({ demo: true, demoForce: true, host });
    }
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) expect(readHubEnv({ HOST: host }, ['--demo']).host).toBe(host);
    expect(readHubEnv({}, ['--demo']).host).toBe('127.0.0.1');
    expect(readHubEnv({ HOST: '0.0.0.0' }, []).demo).toBe(false); // not the demo: any address
    expect(() => readHubEnv({}, ['--demo', '--host', '0.0.0.0'])).toThrow(HubSettingError);
  });

  it('`npm start` on 0.0.0.0 exits non-zero with the reason before it writes or starts anything', async () => {
    const data = dir();
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--demo', '--host', '0.0.0.0', '--port', '0', '--data', data], { env: { ...process.env, HOST: '' } });
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
      p.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, out });
      });
    });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(out).toContain('--demo listens on loopback only, not HOST=0.0.0.0');
    expect(fs.readdirSync(data)).toEqual([]);
  });
});

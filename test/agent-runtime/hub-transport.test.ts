/**
 * Transport and token rules of the agent's configuration (issue 14, items 4 and 6), checked
 * before anything is sent: a plain http:// hub off loopback is refused unless --insecure-http;
 * pins want https://; the token comes from the environment or an owner-only file, the
 * --token flag only for a loopback hub; a YAML file holding the token for a remote hub must
 * be owner-only too. And the process: a refused configuration exits 2 with the reason.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../edge-agent/config.ts';
import { checkHubTransport, parseFingerprints } from '../../edge-agent/hub-tls.ts';
import { isLoopbackHost } from '../../src/protocol/loopback.ts';
import { tmpDir } from './harness.ts';

const TOKEN = 'agent-token-0123456789abcdef';
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});
function dir(): string {
  const d = tmpDir();
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
function file(name: string, text: string, mode: number): string {
  const f = path.join(dir(), name);
  fs.writeFileSync(f, text);
  fs.chmodSync(f, mode);
  return f;
}
const env = { SHARPEYES_AGENT_TOKEN: TOKEN };

describe('plain http:// to the hub', () => {
  it('is refused off loopback without --insecure-http, with the fix in the message', () => {
    for (const hub of ['http://10.0.0.1:8080', 'http://hub.example.org', 'http://192.168.1.10', 'http://[2001:db8::1]:8080', 'http://0.0.0.0:8080']) {
      expect(() => loadConfig(['--hub', hub], env), hub).toThrow(/refusing plain http:\/\/ .*--insecure-http/);
    }
    expect(loadConfig(['--hub', 'http://10.0.0.1:8080', '--insecure-http'], env)).toMatchObject({ hubUrl: 'http://10.0.0.1:8080', insecureHttp: true });
    expect(loadConfig(['--hub', 'http://10.0.0.1:8080'], { ...env, SHARPEYES_INSECURE_HTTP: '1' }).insecureHttp).toBe(true);
    const yml = file('edge-agent.yaml', 'hub: http://10.0.0.1:8080\ninsecureHttp: true\n', 0o600);
    expect(loadConfig(['--config', yml], env).hubUrl).toBe('http://10.0.0.1:8080');
  });

  it('is taken on loopback (the demo, a hub on the same machine) and https:// anywhere', () => {
    for (const hub of ['http://127.0.0.1:8080', 'http://127.3.4.5:1', 'http://localhost:8080', 'http://[::1]:8080']) {
      expect(loadConfig(['--hub', hub], env).hubUrl, hub).toBe(hub);
    }
    expect(loadConfig(['--hub', 'https://10.0.0.1:8443'], env).hubUrl).toBe('https://10.0.0.1:8443');
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
  });

  it('pins need https://; a fingerprint must be sha256 hex; a CA file must hold a certificate', () => {
    const fp = `sha256:${'ab'.repeat(32)}`;
    expect(() => loadConfig(['--hub', 'http://127.0.0.1:8080', '--hub-fingerprint', fp], env)).toThrow(/need an https:\/\/ hub/);
    expect(() => loadConfig(['--hub', 'https://10.0.0.1', '--hub-fingerprint', 'md5:abcd'], env)).toThrow(/sha256:<64 hex digits>/);
    const colons = `SHA256:${Array.from({ length: 32 }, () => 'AB').join(':')}`;
    expect(parseFingerprints(`${colons}, sha256:${'cd'.repeat(32)}`)).toEqual(['ab'.repeat(32), 'cd'.repeat(32)]);
    expect(loadConfig(['--hub', 'https://10.0.0.1', '--hub-fingerprint', fp], env).hubTls).toEqual({ fingerprints: ['ab'.repeat(32)] });
    const notPem = file('ca.pem', 'hello', 0o644);
    expect(() => loadConfig(['--hub', 'https://10.0.0.1', '--hub-ca', notPem], env)).toThrow(/not a PEM certificate/);
    expect(() => loadConfig(['--hub', 'https://10.0.0.1', '--hub-ca', path.join(dir(), 'absent.pem')], env)).toThrow(/ENOENT/);
    expect(() => checkHubTransport('ftp://x', {})).toThrow(/http\(s\) URL/);
  });

  it('the agent process exits 2 on http://10.0.0.1 and says why (nothing is sent: it stops at the configuration)', async () => {
    const { code, out } = await runAgent(['--hub', 'http://10.0.0.1:8080', '--data', dir(), '--metrics-port', 'off'], env);
    expect(code).toBe(2);
    expect(out).toContain('refusing plain http:// to 10.0.0.1:8080');
    expect(out).not.toContain('agent started');
  });
});

describe('the agent token', () => {
  it('comes from SHARPEYES_AGENT_TOKEN', () => {
    expect(loadConfig(['--hub', 'https://10.0.0.1'], env).token).toBe(TOKEN);
  });

  it('comes from an owner-only file (--token-file, SHARPEYES_AGENT_TOKEN_FILE, tokenFile:); a file open to group/others is refused', () => {
    const f = file('agent-token', `${TOKEN}\n`, 0o600);
    expect(loadConfig(['--hub', 'https://10.0.0.1', '--token-file', f], {}).token).toBe(TOKEN);
    expect(loadConfig(['--hub', 'https://10.0.0.1'], { SHARPEYES_AGENT_TOKEN_FILE: f }).token).toBe(TOKEN);
    fs.chmodSync(f, 0o400);
    expect(loadConfig(['--hub', 'https://10.0.0.1', '--token-file', f], {}).token).toBe(TOKEN);
    const yml = path.join(path.dirname(f), 'edge-agent.yaml');
    fs.writeFileSync(yml, 'hub: https://10.0.0.1\ntokenFile: agent-token\n'); // relative to the YAML file
    expect(loadConfig(['--config', yml], {}).token).toBe(TOKEN);
    for (const mode of [0o640, 0o604, 0o644, 0o620]) {
      fs.chmodSync(f, mode);
      expect(() => loadConfig(['--hub', 'https://10.0.0.1', '--token-file', f], {}), mode.toString(8)).toThrow(`is open to group/others (mode 0${mode.toString(8)}): chmod 600`);
    }
    expect(() => loadConfig(['--hub', 'https://10.0.0.1', '--token-file', path.join(dir(), 'nope')], {})).toThrow(/ENOENT/);
    const empty = file('empty', '\n', 0o600);
    expect(() => loadConfig(['--hub', 'https://10.0.0.1', '--token-file', empty], {})).toThrow(/the token alone on one line/);
  });

  it('--token is taken for a loopback hub only: elsewhere it is refused, pointing at the environment and --token-file', () => {
    expect(loadConfig(['--hub', 'http://127.0.0.1:8080', '--token', TOKEN], {}).token).toBe(TOKEN);
    for (const hub of ['https://10.0.0.1:8443', 'https://hub.example.org', 'http://10.0.0.1:8080']) {
      const argv = ['--hub', hub, '--token', TOKEN, ...(hub.startsWith('http:') ? ['--insecure-http'] : [])];
      expect(() => loadConfig(argv, {}), hub).toThrow(/--token puts the agent token on the command line.*SHARPEYES_AGENT_TOKEN or --token-file/);
    }
    expect(() => loadConfig(['--hub', 'https://10.0.0.1', '--token', TOKEN, '--token-file', '/x'], {})).toThrow(/not both/);
  });

  it('`token:` in a YAML file is taken for a remote hub only when that file is owner-only', () => {
    const yml = file('edge-agent.yaml', `hub: https://10.0.0.1:8443\ntoken: ${TOKEN}\n`, 0o644);
    expect(() => loadConfig(['--config', yml], {})).toThrow(/holds the agent token but is open to group\/others \(mode 0644\)/);
    fs.chmodSync(yml, 0o600);
    expect(loadConfig(['--config', yml], {}).token).toBe(TOKEN);
    // loopback hub: as before (the demo and tests)
    fs.writeFileSync(yml, `hub: http://127.0.0.1:8080\ntoken: ${TOKEN}\n`);
    fs.chmodSync(yml, 0o644);
    expect(loadConfig(['--config', yml], {}).token).toBe(TOKEN);
  });

  it('no token anywhere: the message names the places', () => {
    expect(() => loadConfig(['--hub', 'https://10.0.0.1'], {})).toThrow(/no agent token: give SHARPEYES_AGENT_TOKEN, --token-file/);
  });
});

/** `npm run agent -- …` as a child process; its output and exit code. */
function runAgent(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge-agent/main.ts', ...argv], { env: { ...process.env, SHARPEYES_AGENT_TOKEN: '', ...env } });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

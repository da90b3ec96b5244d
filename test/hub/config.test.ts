import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../src/county/config-error.ts';
import { parseCsv } from '../../src/county/csv.ts';
import { generateDemoCounty } from '../../src/county/demo-county.ts';
import { writeDemoConfig } from '../../src/county/demo-files.ts';
import { loadCountyConfig } from '../../src/county/load-config.ts';
import { writeTinyCounty } from '../support/tiny-county.ts';

function broken(edit: (dir: string) => void): string[] {
  const dir = writeTinyCounty();
  edit(dir);
  try {
    loadCountyConfig(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigErrors);
    return (e as ConfigErrors).errors.map((x) => x.message.replace(dir + '/', ''));
  }
  throw new Error('expected the configuration to be refused');
}

const patch = (dir: string, file: string, from: string | RegExp, to: string) => writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8').replace(from, to));

describe('configuration', () => {
  it('loads the tiny county', () => {
    const c = loadCountyConfig(writeTinyCounty());
    expect([c.towns.length, c.communities.length, c.grids.length, c.cameras.length, c.agents.length, c.users.length]).toEqual([2, 2, 4, 10, 2, 5]);
    expect(c.cameras[5]).toMatchObject({ code: 'c06', gridId: 'gb1', agentId: 'agent-b', rtspPort: 9105 });
  });

  it('names file, line and field for CSV problems', () => {
    const errs = broken((d) => {
      patch(d, 'cameras.csv', 'c03,Camera 03,ga1', 'c03,Camera 03,nogrid');
      patch(d, 'cameras.csv', ',35.94,', ',95.5,');
      patch(d, 'cameras.csv', '9103,', '99999,');
      patch(d, 'cameras.csv', 'c06,', 'c01,');
    });
    expect(errs).toEqual([
      'cameras.csv:4 [grid]: unknown grid "nogrid"',
      'cameras.csv:5 [rtsp_port]: "99999" must be an integer in 1..65535',
      'cameras.csv:6 [lat]: "95.5" must be a number in -90..90',
      'cameras.csv:7 [code]: duplicate camera code "c01"',
    ]);
  });

  it('names file, line and field for YAML problems', () => {
    const errs = broken((d) => {
      patch(d, 'county.yaml', 'kind: dedicated', 'kind: castle');
      patch(d, 'users.yaml', 'towns: [tb]', 'towns: [tz]');
      patch(d, 'agents.yaml', 'token: token-of-agent-b-0123456789', 'token: short');
    });
    expect(errs).toEqual([
      'county.yaml:12 [towns.0.communities.0.grids.1.kind]: "castle" must be one of urban, rural, dedicated',
      'agents.yaml:3 [agents.1.token]: token must be at least 16 characters',
      'users.yaml:4 [users.2.towns.0]: unknown town "tz"',
    ]);
  });

  it('refuses a missing column, an unknown column, broken YAML and missing files', () => {
    expect(broken((d) => patch(d, 'cameras.csv', 'username,', 'user,'))).toEqual([
      'cameras.csv:1 [username]: missing column',
      'cameras.csv:1 [user]: unknown column (known: code, name, grid, site, lat, lon, host, onvif_port, onvif_path, rtsp_port, rtsp_path, http_auth, vendor, username, password, agent)',
    ]);
    expect(broken((d) => patch(d, 'county.yaml', 'towns:', 'towns: [\n'))[0]).toMatch(/^county\.yaml:\d+: /);
    const empty = mkdtempSync(join(tmpdir(), 'se-empty-'));
    expect(() => loadCountyConfig(empty)).toThrow(/county\.yaml: file not found/);
  });

  it('an RTSP path with credentials is refused', () => {
    const errs = broken((d) =>
      patch(
        d,
        'cameras.csv',
        'c01,Camera 01,ga1,s1,35.90,116.40,127.0.0.1,9000,/onvif/device_service,9100,/Streaming/Channels/101',
        'c01,Camera 01,ga1,s1,35.90,116.40,admin:pw@127.0.0.1,9000,/onvif/device_service,9100,/Streaming/Channels/101',
      ),
    );
    expect(errs[0]).toMatch(/^cameras\.csv:2 \[host\]: .*credentials go in username\/password/);
    expect(errs.join()).not.toContain(':pw@');
  });

  it('CSV: quotes, commas, newlines in fields, BOM and CRLF', () => {
    const recs = parseCsv('\ufeffa,b\r\n"x, ""y""","multi\nline"\r\n\r\nlast,');
    expect(recs).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, "y"', 'multi\nline'] },
      { line: 5, fields: ['last', ''] },
    ]);
    expect(() => parseCsv('a,"open')).toThrow(/line 1: unterminated/);
  });

  it('the demo county has the reference shape and loads through the production path', () => {
    const county = generateDemoCounty({ cameras: 5000 });
    expect(county.grids).toHaveLength(1730);
    expect(['urban', 'rural', 'dedicated'].map((k) => county.grids.filter((g) => g.kind === k).length)).toEqual([341, 1017, 372]);
    expect(county.towns).toHaveLength(14);
    expect(new Set(county.communities.filter((c) => c.kind === 'community').map((c) => c.id)).size).toBe(10);
    const dir = mkdtempSync(join(tmpdir(), 'se-demo-'));
    writeDemoConfig(dir, county, (_c, i) => ({
      host: '127.0.0.1',
      onvifPort: 10000 + i,
      onvifPath: '/onvif/device_service',
      rtspPort: 20000 + i,
      rtspPath: '/Streaming/Channels/101',
    }));
    const c = loadCountyConfig(dir);
    expect(c.cameras).toHaveLength(5000);
    expect(new Set(c.cameras.map((x) => x.siteId)).size).toBeGreaterThan(1000);
    for (const cam of c.cameras) {
      expect(cam.latitude!).toBeGreaterThan(35.6);
      expect(cam.latitude!).toBeLessThan(36.2);
      expect(cam.longitude!).toBeGreaterThan(116.2);
      expect(cam.longitude!).toBeLessThan(116.8);
    }
    cpSync(dir, dir + '-copy', { recursive: true });
    expect(loadCountyConfig(dir + '-copy').fingerprint).toBe(c.fingerprint);
  });
});

/**
 * cameras.csv `http_auth` (digest | basic): the hub's side of "Basic auth only where a camera is
 * configured for it". Default digest; a bad value is refused with file, line and field; a basic
 * camera's assignment says `httpAuth: basic` (only its own agent gets it), the others carry no
 * field (digest only, as older agents assume). Both databases.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigErrors } from '../../src/county/config-error.ts';
import { loadCountyConfig } from '../../src/county/load-config.ts';
import { DB_KINDS } from '../support/databases.ts';
import { startTestHub, type TestHub } from '../support/hub-harness.ts';
import { AGENT_A, writeTinyCounty } from '../support/tiny-county.ts';

/** the tiny county with an http_auth column: `values[code]` or empty */
function countyWith(values: Record<string, string>): string {
  const dir = writeTinyCounty();
  const file = join(dir, 'cameras.csv');
  const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const out = [`${header},http_auth`, ...rows.map((r) => `${r},${values[r.split(',')[0]!] ?? ''}`)];
  writeFileSync(file, out.join('\n') + '\n');
  return dir;
}

describe('cameras.csv http_auth', () => {
  it('defaults to digest, takes basic (any case), refuses anything else with line and field', () => {
    const c = loadCountyConfig(countyWith({ c02: 'Basic', c03: 'digest' }));
    expect(c.cameras.map((x) => x.httpAuth)).toEqual(['digest', 'basic', 'digest', 'digest', 'digest', 'digest', 'digest', 'digest', 'digest', 'digest']);
    const dir = countyWith({ c04: 'ntlm' });
    let errs: string[] = [];
    try {
      loadCountyConfig(dir);
    } catch (e) {
      errs = (e as ConfigErrors).errors.map((x) => x.message.replace(dir + '/', ''));
    }
    expect(errs).toEqual(['cameras.csv:5 [http_auth]: "ntlm" must be digest or basic']);
  });

  for (const kind of DB_KINDS) {
    describe(kind, () => {
      let t: TestHub;
      afterAll(async () => t?.close());
      it('the agent assignment says httpAuth: basic for a basic camera only', async () => {
        t = await startTestHub(kind, { configDir: countyWith({ c02: 'basic' }) });
        const res = await t.hub.app.inject({ method: 'GET', url: '/api/agent/assignment', headers: { authorization: `Bearer ${AGENT_A.token}` } });
        expect(res.statusCode).toBe(200);
        const cams = res.json().cameras as { code: string; httpAuth?: string }[];
        expect(cams.map((c) => [c.code, c.httpAuth ?? null])).toEqual([
          ['c01', null],
          ['c02', 'basic'],
          ['c03', null],
          ['c04', null],
          ['c05', null],
        ]);
      });
    });
  }
});

/**
 * Mirror the county configuration into the database. Skipped when the config
 * fingerprint is unchanged (fast restarts); otherwise one transaction upserts
 * everything and deletes what the configuration no longer names — except that a camera taken
 * out is retired (`retired_cameras`, its history kept; docs/accounting.md), and one put back
 * leaves that list.
 */
import { loadCountyConfig, type ConfigFiles, type CountyConfig } from '../county/load-config.ts';
import { packStructure, type CountyStructure } from './county-store.ts';
import { hashPassword } from '../secrets/passwords.ts';
import type { Database, Querier } from './client.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

export async function syncConfig(db: Database, files: ConfigFiles, box: SecretBox): Promise<{ changed: boolean }> {
  const [row] = await db.query<{ value: string }>(`select value from meta where key = 'config_fingerprint'`);
  if (row?.value === files.fingerprint) return { changed: false };
  const config = loadCountyConfig(files);
  const users = await Promise.all(config.users.map(async (u) => ({ ...u, passwordHash: u.passwordHash ?? (await hashPassword(u.password ?? '')) })));
  await db.transaction(async (q) => {
    await upsert(
      q,
      'towns',
      ['id', 'name', 'kind'],
      config.towns.map((t) => [t.id, t.name, t.kind]),
    );
    await upsert(
      q,
      'communities',
      ['id', 'town_id', 'name', 'kind'],
      config.communities.map((c) => [c.id, c.townId, c.name, c.kind]),
    );
    await upsert(
      q,
      'grids',
      ['id', 'community_id', 'town_id', 'name', 'kind'],
      config.grids.map((g) => [g.id, g.communityId, g.townId, g.name, g.kind]),
    );
    await upsert(
      q,
      'agents',
      ['id', 'name', 'token_hash'],
      config.agents.map((a) => [a.id, a.name, a.tokenHash]),
    );
    await upsert(
      q,
      'cameras',
      [
        'code',
        'name',
        'grid_id',
        'site_id',
        'latitude',
        'longitude',
        'host',
        'onvif_port',
        'onvif_path',
        'rtsp_port',
        'rtsp_path',
        'http_auth',
        'vendor',
        'username',
        'password_enc',
        'agent_id',
      ],
      config.cameras.map((c) => [
        c.code,
        c.name,
        c.gridId,
        c.siteId,
        c.latitude,
        c.longitude,
        c.host,
        c.onvifPort,
        c.onvifPath,
        c.rtspPort,
        c.rtspPath,
        c.httpAuth,
        c.vendor,
        c.username,
        box.seal(c.password),
        c.agentId,
      ]),
      { latitude: 'float8', longitude: 'float8', onvif_port: 'int4', rtsp_port: 'int4' },
    );
    await upsert(
      q,
      'users',
      ['username', 'display_name', 'password_hash', 'role', 'towns', 'grids'],
      users.map((u) => [u.username, u.displayName, u.passwordHash, u.role, `{${u.towns.map(pgArrayItem).join(',')}}`, `{${u.grids.map(pgArrayItem).join(',')}}`]),
      { towns: 'text[]', grids: 'text[]' },
    );
    const codes = config.cameras.map((c) => c.code);
    await q.query(
      `insert into retired_cameras (code, grid_id, site_id, agent_id, retired_at)
       select code, grid_id, site_id, agent_id, now() from cameras where not (code = any($1::text[]))
       on conflict (code) do nothing`,
      [codes],
    );
    await q.query(`delete from retired_cameras where code = any($1::text[])`, [codes]);
    await prune(q, 'cameras', 'code', codes);
    await prune(
      q,
      'users',
      'username',
      config.users.map((u) => u.username),
    );
    await prune(
      q,
      'agents',
      'id',
      config.agents.map((a) => a.id),
    );
    await prune(
      q,
      'grids',
      'id',
      config.grids.map((g) => g.id),
    );
    await prune(
      q,
      'communities',
      'id',
      config.communities.map((c) => c.id),
    );
    await prune(
      q,
      'towns',
      'id',
      config.towns.map((t) => t.id),
    );
    // the read side of a restart in one row: parsing 100 k camera rows back out of PGlite costs seconds
    await q.query(`insert into meta (key, value) select * from unnest($1::text[], $2::text[]) on conflict (key) do update set value = excluded.value`, [
      ['config_fingerprint', 'structure'],
      [config.fingerprint, JSON.stringify(packStructure(structureOf(config)))],
    ]);
  });
  return { changed: true };
}

const pgArrayItem = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;

/** Bulk upsert through unnest (one statement per ≤ 5,000 rows; drizzle's toSQL is too slow for this). */
async function upsert(q: Querier, table: string, cols: string[], rows: unknown[][], types: Record<string, string> = {}): Promise<void> {
  for (let off = 0; off < rows.length; off += 5000) {
    const chunk = rows.slice(off, off + 5000);
    // text[] columns travel as their text form and are cast back per row
    const params = cols.map((_, i) => chunk.map((r) => (r[i] === null || r[i] === undefined ? null : String(r[i]))));
    const select = cols.map((c, i) => `u.c${i}::${types[c] ?? 'text'}`).join(', ');
    const unnest = cols.map((_, i) => `$${i + 1}::text[]`).join(', ');
    const as = cols.map((_, i) => `c${i}`).join(', ');
    const update = cols
      .slice(1)
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    await q.query(`insert into ${table} (${cols.join(', ')}) select ${select} from unnest(${unnest}) as u(${as}) on conflict (${cols[0]}) do update set ${update}`, params);
  }
}

async function prune(q: Querier, table: string, key: string, keep: string[]): Promise<void> {
  await q.query(`delete from ${table} where not (${key} = any($1::text[]))`, [keep]);
}

export function structureOf(config: CountyConfig): CountyStructure {
  return {
    countyName: config.county.name,
    towns: config.towns,
    communities: config.communities,
    grids: config.grids,
    cameras: config.cameras.map((c) => ({
      code: c.code,
      name: c.name,
      gridId: c.gridId,
      siteId: c.siteId,
      latitude: c.latitude,
      longitude: c.longitude,
      vendor: c.vendor,
      agentId: c.agentId,
    })),
    agents: config.agents.map((a) => ({ id: a.id, name: a.name, tokenHash: a.tokenHash })),
  };
}

/**
 * The county from config/: county.yaml (org tree), agents.yaml, users.yaml and
 * cameras.csv. Every problem is collected with file, line and field; any problem
 * stops the hub (ConfigErrors).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Community, Grid, Town } from '../core/model.ts';
import { ConfigError, ConfigErrors } from './config-error.ts';
import { YamlSource } from './yaml-source.ts';
import { readCamerasCsv, type CameraConfig } from './cameras-csv.ts';

export type { CameraConfig };

export interface AgentConfig {
  id: string;
  name: string;
  /** sha256 hex of the bearer token */
  tokenHash: string;
  /** cameras of these towns are probed by this agent unless cameras.csv names another */
  towns: string[];
}

export const ROLES = ['admin', 'crew', 'worker', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface UserConfig {
  username: string;
  displayName: string;
  role: Role;
  /** scrypt hash, or a plain password to hash at load (demo / first setup only) */
  passwordHash?: string;
  password?: string;
  towns: string[];
  grids: string[];
}

export interface CountyConfig {
  county: { id: string; name: string };
  towns: Town[];
  communities: Community[];
  grids: Grid[];
  cameras: CameraConfig[];
  agents: AgentConfig[];
  users: UserConfig[];
  /** sha256 over the files: the database is re-synced only when it changes */
  fingerprint: string;
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ConfigFiles {
  files: string[];
  /** raw bytes: hashed as they are, decoded only when the files must be parsed */
  bytes: Buffer[];
  /** sha256 over the files: the database is re-synced only when it changes */
  fingerprint: string;
}

/** Read the four files (cheap); parse and validate only when the fingerprint changed. */
export function readConfigFiles(dir: string): ConfigFiles {
  const files = ['county.yaml', 'agents.yaml', 'users.yaml', 'cameras.csv'].map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) throw new ConfigErrors(missing.map((f) => new ConfigError(f, null, null, 'file not found')));
  const bytes = files.map((f) => readFileSync(f));
  const hash = createHash('sha256');
  for (const b of bytes) hash.update(b).update('\u0000');
  return { files, bytes, fingerprint: hash.digest('hex') };
}

export function loadCountyConfig(dirOrFiles: string | ConfigFiles): CountyConfig {
  const { files, bytes, fingerprint } = typeof dirOrFiles === 'string' ? readConfigFiles(dirOrFiles) : dirOrFiles;
  const texts = bytes.map((b) => b.toString('utf8'));
  const errors: ConfigError[] = [];

  const county = new YamlSource(files[0]!, texts[0]);
  const towns: Town[] = [];
  const communities: Community[] = [];
  const grids: Grid[] = [];
  const seen = new Set<string>();
  const unique = (src: YamlSource, path: (string | number)[], id: string | undefined, what: string) => {
    if (id === undefined) return;
    if (seen.has(`${what}:${id}`)) src.fail(path, `duplicate ${what} id "${id}"`);
    seen.add(`${what}:${id}`);
  };
  const countyId = county.str(['county', 'id'], { pattern: ID }) ?? '';
  const countyName = county.str(['county', 'name']) ?? '';
  const nTowns = county.listLength(['towns']);
  for (let t = 0; t < nTowns; t++) {
    const tp = ['towns', t];
    const id = county.str([...tp, 'id'], { pattern: ID });
    unique(county, [...tp, 'id'], id, 'town');
    const town = { id: id ?? '', name: county.str([...tp, 'name']) ?? '', kind: (county.str([...tp, 'kind'], { oneOf: ['town', 'street'] }) ?? 'town') as Town['kind'] };
    towns.push(town);
    const nComm = county.listLength([...tp, 'communities']);
    for (let c = 0; c < nComm; c++) {
      const cp = [...tp, 'communities', c];
      const cid = county.str([...cp, 'id'], { pattern: ID });
      unique(county, [...cp, 'id'], cid, 'community');
      const community: Community = {
        id: cid ?? '',
        townId: town.id,
        name: county.str([...cp, 'name']) ?? '',
        kind: (county.str([...cp, 'kind'], { oneOf: ['community', 'village'] }) ?? 'community') as Community['kind'],
      };
      communities.push(community);
      const nGrid = county.listLength([...cp, 'grids']);
      for (let g = 0; g < nGrid; g++) {
        const gp = [...cp, 'grids', g];
        const gid = county.str([...gp, 'id'], { pattern: ID });
        unique(county, [...gp, 'id'], gid, 'grid');
        grids.push({
          id: gid ?? '',
          communityId: community.id,
          townId: town.id,
          name: county.str([...gp, 'name']) ?? '',
          kind: (county.str([...gp, 'kind'], { oneOf: ['urban', 'rural', 'dedicated'] }) ?? 'urban') as Grid['kind'],
        });
      }
    }
  }
  errors.push(...county.errors);
  const townIds = new Set(towns.map((t) => t.id));
  const gridIds = new Set(grids.map((g) => g.id));

  const agentsSrc = new YamlSource(files[1]!, texts[1]);
  const agents: AgentConfig[] = [];
  for (let i = 0, n = agentsSrc.listLength(['agents']); i < n; i++) {
    const p = ['agents', i];
    const id = agentsSrc.str([...p, 'id'], { pattern: ID });
    unique(agentsSrc, [...p, 'id'], id, 'agent');
    const token = agentsSrc.str([...p, 'token'], { required: false });
    let tokenHash = agentsSrc.str([...p, 'token_hash'], { required: false, pattern: /^[0-9a-f]{64}$/ });
    if (token !== undefined) {
      if (token.length < 16) agentsSrc.fail([...p, 'token'], 'token must be at least 16 characters');
      tokenHash = createHash('sha256').update(token).digest('hex');
    }
    if (tokenHash === undefined) agentsSrc.fail([...p], 'needs token_hash (sha256 hex of the token) or token');
    const agentTowns = agentsSrc.strList([...p, 'towns']);
    agentTowns.forEach((t, k) => {
      if (!townIds.has(t)) agentsSrc.fail([...p, 'towns', k], `unknown town "${t}"`);
    });
    agents.push({ id: id ?? '', name: agentsSrc.str([...p, 'name'], { required: false }) ?? id ?? '', tokenHash: tokenHash ?? '', towns: agentTowns });
  }
  errors.push(...agentsSrc.errors);

  const usersSrc = new YamlSource(files[2]!, texts[2]);
  const users: UserConfig[] = [];
  for (let i = 0, n = usersSrc.listLength(['users']); i < n; i++) {
    const p = ['users', i];
    const username = usersSrc.str([...p, 'username'], { pattern: /^[A-Za-z0-9_.@-]{1,64}$/ });
    unique(usersSrc, [...p, 'username'], username, 'user');
    const role = usersSrc.str([...p, 'role'], { oneOf: ROLES }) as Role | undefined;
    const u: UserConfig = {
      username: username ?? '',
      displayName: usersSrc.str([...p, 'name'], { required: false }) ?? username ?? '',
      role: role ?? 'viewer',
      towns: usersSrc.strList([...p, 'towns']),
      grids: usersSrc.strList([...p, 'grids']),
    };
    const hash = usersSrc.str([...p, 'password_hash'], { required: false, pattern: /^scrypt\$/ });
    const plain = usersSrc.str([...p, 'password'], { required: false });
    if (hash) u.passwordHash = hash;
    else if (plain) u.password = plain;
    else usersSrc.fail(p, 'needs password_hash (scrypt) or password');
    u.towns.forEach((t, k) => {
      if (!townIds.has(t)) usersSrc.fail([...p, 'towns', k], `unknown town "${t}"`);
    });
    u.grids.forEach((g, k) => {
      if (!gridIds.has(g)) usersSrc.fail([...p, 'grids', k], `unknown grid "${g}"`);
    });
    if (role === 'crew' && u.towns.length === 0) usersSrc.fail([...p, 'towns'], 'a crew needs at least one town');
    if (role === 'worker' && u.grids.length === 0) usersSrc.fail([...p, 'grids'], 'a worker needs at least one grid');
    users.push(u);
  }
  errors.push(...usersSrc.errors);

  const agentIds = new Set(agents.map((a) => a.id));
  const cams = readCamerasCsv(files[3]!, texts[3]!, { gridIds, agentIds });
  errors.push(...cams.errors);
  // default agent of a camera: the agent covering its town
  const townAgent = new Map<string, string>();
  for (const a of agents) for (const t of a.towns) townAgent.set(t, a.id);
  const gridTown = new Map(grids.map((g) => [g.id, g.townId]));
  for (const c of cams.cameras) if (c.agentId === null) c.agentId = townAgent.get(gridTown.get(c.gridId) ?? '') ?? null;

  if (errors.length) throw new ConfigErrors(errors);
  return { county: { id: countyId, name: countyName }, towns, communities, grids, cameras: cams.cameras, agents, users, fingerprint };
}

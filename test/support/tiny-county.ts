/** A tiny county written as real config files: 2 towns, 4 grids, 10 cameras, 2 agents, a user per role. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const AGENT_A = { id: 'agent-a', token: 'token-of-agent-a-0123456789' };
export const AGENT_B = { id: 'agent-b', token: 'token-of-agent-b-0123456789' };
export const USERS = {
  admin: { username: 'admin', password: 'admin-pass' },
  crewA: { username: 'crew-a', password: 'crew-a-pass' }, // town ta
  crewB: { username: 'crew-b', password: 'crew-b-pass' }, // town tb
  worker: { username: 'worker-1', password: 'worker-pass' }, // grid ga1
  viewer: { username: 'viewer', password: 'viewer-pass' },
};
export const CAMERA_PASSWORD = 'S3cret-cam-pw!';

/** cameras: ga1: c01..c03 (site s1), ga2: c04..c05, gb1: c06..c08 (site s2), gb2: c09..c10 */
export function writeTinyCounty(dir = mkdtempSync(join(tmpdir(), 'se-county-'))): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'county.yaml'),
    `county: { id: tiny, name: 小县 }
towns:
  - id: ta
    name: 甲街道
    kind: street
    communities:
      - id: ca
        name: 甲社区
        kind: community
        grids:
          - { id: ga1, name: 甲一网格, kind: urban }
          - { id: ga2, name: 甲二网格, kind: dedicated }
  - id: tb
    name: 乙镇
    kind: town
    communities:
      - id: cb
        name: 乙村
        kind: village
        grids:
          - { id: gb1, name: 乙一网格, kind: rural }
          - { id: gb2, name: 乙二网格, kind: rural }
`,
  );
  writeFileSync(
    join(dir, 'agents.yaml'),
    `agents:
  - { id: ${AGENT_A.id}, name: A, token: ${AGENT_A.token}, towns: [ta] }
  - { id: ${AGENT_B.id}, name: B, token: ${AGENT_B.token}, towns: [tb] }
`,
  );
  writeFileSync(
    join(dir, 'users.yaml'),
    `users:
  - { username: admin, role: admin, password: admin-pass }
  - { username: crew-a, role: crew, towns: [ta], password: crew-a-pass }
  - { username: crew-b, role: crew, towns: [tb], password: crew-b-pass }
  - { username: worker-1, role: worker, grids: [ga1], password: worker-pass }
  - { username: viewer, role: viewer, password: viewer-pass }
`,
  );
  const grid = ['ga1', 'ga1', 'ga1', 'ga2', 'ga2', 'gb1', 'gb1', 'gb1', 'gb2', 'gb2'];
  const site = ['s1', 's1', 's1', '', '', 's2', 's2', 's2', '', ''];
  const rows = grid.map((g, i) => {
    const n = String(i + 1).padStart(2, '0');
    return `c${n},Camera ${n},${g},${site[i]},35.9${i},116.4${i},127.0.0.1,${9000 + i},/onvif/device_service,${9100 + i},/Streaming/Channels/101,hikvision,admin,${CAMERA_PASSWORD},`;
  });
  writeFileSync(join(dir, 'cameras.csv'), 'code,name,grid,site,lat,lon,host,onvif_port,onvif_path,rtsp_port,rtsp_path,vendor,username,password,agent\n' + rows.join('\n') + '\n');
  return dir;
}

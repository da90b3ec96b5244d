/** Reads the county structure (no credentials) and agent assignments from the database. */
import type { Community, Grid, Town } from '../core/model.ts';
import type { AgentCamera } from '../protocol/assignment.ts';
import type { Database } from './client.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

export interface CameraInfo {
  code: string;
  name: string;
  gridId: string;
  siteId: string | null;
  latitude: number | null;
  longitude: number | null;
  vendor: string | null;
  agentId: string | null;
}

export interface CountyStructure {
  countyName: string;
  towns: Town[];
  communities: Community[];
  grids: Grid[];
  cameras: CameraInfo[];
  agents: { id: string; name: string; tokenHash: string }[];
}

/** The structure snapshot written by the last config sync (one row), else the tables. */
export async function loadStructure(db: Database): Promise<CountyStructure> {
  const [snap] = await db.query<{ value: string }>(`select value from meta where key = 'structure'`);
  if (snap) {
    const parsed = JSON.parse(snap.value) as PackedStructure | CountyStructure;
    // snapshots written before the columnar form carry a plain cameras array
    return 'cameraColumns' in parsed ? unpackStructure(parsed) : parsed;
  }
  return loadStructureFromTables(db);
}

/** Cameras as columns in the snapshot: 100 k objects' repeated keys would double its size and parse time. */
const CAMERA_KEYS = ['code', 'name', 'gridId', 'siteId', 'latitude', 'longitude', 'vendor', 'agentId'] as const;
type PackedStructure = Omit<CountyStructure, 'cameras'> & { cameraColumns: Record<(typeof CAMERA_KEYS)[number], unknown[]> };

export function packStructure(s: CountyStructure): PackedStructure {
  const { cameras, ...rest } = s;
  const cameraColumns = Object.fromEntries(CAMERA_KEYS.map((k) => [k, cameras.map((c) => c[k])])) as PackedStructure['cameraColumns'];
  return { ...rest, cameraColumns };
}

function unpackStructure(p: PackedStructure): CountyStructure {
  const { cameraColumns: col, ...rest } = p;
  const cameras: CameraInfo[] = new Array(col.code.length);
  for (let i = 0; i < cameras.length; i++) {
    cameras[i] = {
      code: col.code[i] as string,
      name: col.name[i] as string,
      gridId: col.gridId[i] as string,
      siteId: col.siteId[i] as string | null,
      latitude: col.latitude[i] as number | null,
      longitude: col.longitude[i] as number | null,
      vendor: col.vendor[i] as string | null,
      agentId: col.agentId[i] as string | null,
    };
  }
  return { ...rest, cameras };
}

export async function loadStructureFromTables(db: Database): Promise<CountyStructure> {
  const [towns, communities, grids, cameras, agents] = await Promise.all([
    db.query<Town>(`select id, name, kind from towns order by id`),
    db.query<Community>(`select id, town_id as "townId", name, kind from communities order by id`),
    db.query<Grid>(`select id, community_id as "communityId", town_id as "townId", name, kind from grids order by id`),
    db.query<CameraInfo>(`select code, name, grid_id as "gridId", site_id as "siteId", latitude, longitude, vendor, agent_id as "agentId" from cameras order by code`),
    db.query<{ id: string; name: string; tokenHash: string }>(`select id, name, token_hash as "tokenHash" from agents order by id`),
  ]);
  return { countyName: '', towns, communities, grids, cameras, agents };
}

/** The cameras an agent probes, with credentials decrypted: only ever sent to that agent. */
export async function loadAgentCameras(db: Database, agentId: string, box: SecretBox): Promise<AgentCamera[]> {
  const rows = await db.query<{
    code: string;
    host: string;
    onvifPort: number;
    onvifPath: string;
    rtspPort: number;
    rtspPath: string;
    httpAuth: string;
    username: string;
    passwordEnc: string;
    siteId: string | null;
  }>(
    `select code, host, onvif_port as "onvifPort", onvif_path as "onvifPath", rtsp_port as "rtspPort", rtsp_path as "rtspPath",
            http_auth as "httpAuth", username, password_enc as "passwordEnc", site_id as "siteId"
       from cameras where agent_id = $1 order by code`,
    [agentId],
  );
  return rows.map((r) => ({
    code: r.code,
    host: r.host,
    onvifPort: r.onvifPort,
    onvifPath: r.onvifPath,
    rtspPort: r.rtspPort,
    rtspUrl: `rtsp://${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.rtspPort}${r.rtspPath}`,
    username: r.username,
    password: box.open(r.passwordEnc),
    siteId: r.siteId,
    // absent means digest only (what agents older than the field assume)
    ...(r.httpAuth === 'basic' ? { httpAuth: 'basic' as const } : {}),
  }));
}

/**
 * The demo county, shaped on the reference county (Dongping, Shandong): 1,730 grids
 * — 341 urban (by residential compound, under 10 communities), 1,017 rural (by
 * villager group) and 372 dedicated (schools, hospitals, markets, enterprises) —
 * in 14 towns/streets, cameras grouped behind sites (光猫/switch) around 35.9° N, 116.5° E.
 * Deterministic from a seed. Pure: returns data; writing files is demo-files.ts.
 */
import type { Community, Grid, Town } from '../core/model.ts';
import { seededRandom } from '../core/seeded-random.ts';

export const REFERENCE = { urban: 341, rural: 1017, dedicated: 372, urbanCommunities: 10 } as const;

const TOWNS: [string, 'street' | 'town'][] = [
  ['东平街道', 'street'],
  ['彭集街道', 'street'],
  ['州城街道', 'street'],
  ['沙河站镇', 'town'],
  ['老湖镇', 'town'],
  ['银山镇', 'town'],
  ['斑鸠店镇', 'town'],
  ['接山镇', 'town'],
  ['大羊镇', 'town'],
  ['梯门镇', 'town'],
  ['新湖镇', 'town'],
  ['戴庙镇', 'town'],
  ['商老庄乡', 'town'],
  ['旧县乡', 'town'],
];
const DEDICATED = ['学校', '医院', '市场', '企业', '车站', '景区'];

export interface DemoCamera {
  code: string;
  name: string;
  gridId: string;
  siteId: string;
  latitude: number;
  longitude: number;
  vendor: string;
  username: string;
  password: string;
}

export interface DemoCounty {
  county: { id: string; name: string };
  towns: Town[];
  communities: Community[];
  grids: Grid[];
  cameras: DemoCamera[];
}

export function generateDemoCounty(opts: { cameras?: number; seed?: number } = {}): DemoCounty {
  const rnd = seededRandom(opts.seed ?? 93_34);
  const nCameras = opts.cameras ?? 5000;
  const towns: Town[] = TOWNS.map(([name, kind], i) => ({ id: `t${String(i + 1).padStart(2, '0')}`, name, kind }));
  const streets = towns.filter((t) => t.kind === 'street');
  const ruralTowns = towns.filter((t) => t.kind === 'town');
  const communities: Community[] = [];
  const grids: Grid[] = [];
  const centre = new Map<string, [number, number]>();
  towns.forEach((t, i) => {
    const angle = (i / towns.length) * 2 * Math.PI;
    const r = t.kind === 'street' ? 0.03 : 0.12 + 0.05 * rnd();
    centre.set(t.id, [35.91 + r * Math.sin(angle), 116.46 + r * 1.2 * Math.cos(angle)]);
  });

  // urban: 10 communities across the streets, 341 grids among them
  for (let c = 0; c < REFERENCE.urbanCommunities; c++) {
    const town = streets[c % streets.length]!;
    communities.push({ id: `${town.id}c${String(c + 1).padStart(2, '0')}`, townId: town.id, name: `${town.name.replace('街道', '')}第${c + 1}社区`, kind: 'community' });
  }
  const urbanComms = [...communities];
  for (let g = 0; g < REFERENCE.urban; g++) {
    const comm = urbanComms[g % urbanComms.length]!;
    grids.push({
      id: `g${String(grids.length + 1).padStart(4, '0')}`,
      communityId: comm.id,
      townId: comm.townId,
      name: `${comm.name}${Math.floor(g / urbanComms.length) + 1}号小区网格`,
      kind: 'urban',
    });
  }
  // rural: villages of about 6 villager groups each
  const villagesPerTown = Math.ceil(REFERENCE.rural / 6 / ruralTowns.length);
  const villages: Community[] = [];
  for (const town of ruralTowns) {
    for (let v = 0; v < villagesPerTown; v++) {
      const village: Community = { id: `${town.id}v${String(v + 1).padStart(2, '0')}`, townId: town.id, name: `${town.name.replace(/[镇乡]$/, '')}${v + 1}村`, kind: 'village' };
      villages.push(village);
      communities.push(village);
    }
  }
  for (let g = 0; g < REFERENCE.rural; g++) {
    const village = villages[g % villages.length]!;
    grids.push({
      id: `g${String(grids.length + 1).padStart(4, '0')}`,
      communityId: village.id,
      townId: village.townId,
      name: `${village.name}第${Math.floor(g / villages.length) + 1}村民小组网格`,
      kind: 'rural',
    });
  }
  // dedicated: spread over every town, hung under its first community/village
  for (let g = 0; g < REFERENCE.dedicated; g++) {
    const town = towns[g % towns.length]!;
    const comm = communities.find((c) => c.townId === town.id)!;
    const what = DEDICATED[g % DEDICATED.length]!;
    grids.push({
      id: `g${String(grids.length + 1).padStart(4, '0')}`,
      communityId: comm.id,
      townId: town.id,
      name: `${town.name}${what}${Math.floor(g / towns.length) + 1}专属网格`,
      kind: 'dedicated',
    });
  }

  // cameras: every grid gets at least one; sites of 2–8 cameras inside a grid
  const cameras: DemoCamera[] = [];
  const perGrid = grids.map(() => 1);
  for (let i = grids.length; i < nCameras; i++) perGrid[Math.floor(rnd() * grids.length)]! += 1;
  let site = 0;
  grids.forEach((grid, gi) => {
    const [lat0, lon0] = centre.get(grid.townId)!;
    const gLat = lat0 + (rnd() - 0.5) * 0.06;
    const gLon = lon0 + (rnd() - 0.5) * 0.07;
    let left = perGrid[gi]!;
    while (left > 0) {
      const size = Math.min(left, 2 + Math.floor(rnd() * 7));
      site++;
      const siteId = `s${String(site).padStart(5, '0')}`;
      for (let k = 0; k < size; k++) {
        const n = cameras.length + 1;
        const vendor = rnd() < 0.7 ? 'hikvision' : rnd() < 0.5 ? 'dahua' : 'uniview';
        cameras.push({
          code: `37092300001320${String(n).padStart(6, '0')}`,
          name: `${grid.name.replace(/网格$/, '')}-${k + 1}号点位`,
          gridId: grid.id,
          siteId,
          latitude: +(gLat + (rnd() - 0.5) * 0.004).toFixed(6),
          longitude: +(gLon + (rnd() - 0.5) * 0.004).toFixed(6),
          vendor,
          username: 'admin',
          password: `Cam#${Math.floor(rnd() * 1e8).toString(36)}`,
        });
      }
      left -= size;
    }
  });
  return { county: { id: 'dongping', name: '东平县' }, towns, communities, grids, cameras };
}

/**
 * The fleet: N simulated cameras, each at its own loopback address with its own ONVIF/HTTP
 * and RTSP listeners (2 listening sockets per camera), the fault book that drives them,
 * per-camera counters, and optionally the HTTP control API.
 */
import { createLogger } from '../log.ts';
import { startControlApi, type ControlApi } from './control-api.ts';
import { FaultBook, expectedFaultClass } from './fault-book.ts';
import { NonceIssuer } from './nonces.ts';
import { createOnvifHttp } from './onvif-http.ts';
import { serveRtsp } from './rtsp-session.ts';
import { SimCamera } from './sim-camera.ts';
import { hostFor } from './specs.ts';
import type { Fleet } from './fleet-api.ts';
import { emptyCounters, type CameraCounters, type EffectiveState, type FaultKind, type FaultParams, type FaultTarget, type SimCameraSpec } from './types.ts';

const log = createLogger('simulator');

export interface FaultAssignment extends FaultTarget, FaultParams {
  fault: FaultKind;
}

export interface FleetOptions {
  cameras: SimCameraSpec[];
  /** first two octets of the camera addresses, e.g. "127.20" (camera i → 127.20.x.y) */
  hostBase?: string;
  /** ONVIF/HTTP port on every camera address; 0 (default) = kernel-chosen per camera, then sticky */
  onvifPort?: number;
  /** RTSP port on every camera address; 0 (default) = kernel-chosen per camera, then sticky */
  rtspPort?: number;
  /** faults in force from the start (e.g. from a scenario) */
  faults?: FaultAssignment[];
  /** start the control API on 127.0.0.1:controlPort (0 = any free port); omitted = no API */
  controlPort?: number;
  /** how many listeners are opened at once during start-up */
  listenConcurrency?: number;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const codes = new Set<string>();
  for (const s of opts.cameras) {
    if (codes.has(s.code)) throw new Error(`duplicate camera code ${s.code}`);
    codes.add(s.code);
  }
  const nonces = new NonceIssuer();
  const http = createOnvifHttp(nonces);
  const book = new FaultBook();
  const cameras = new Map<string, SimCamera>();
  const bySite = new Map<string, SimCamera[]>();
  opts.cameras.forEach((spec, i) => {
    const cam: SimCamera = new SimCamera(
      spec,
      i,
      hostFor(i, opts.hostBase),
      { onvif: opts.onvifPort ?? 0, rtsp: opts.rtspPort ?? 0 },
      {
        onvif: (socket) => {
          cam.counters.onvifConnections++;
          if (!cam.state.hang) http.accept(socket, cam);
          else socket.resume();
        },
        rtsp: (socket) => {
          cam.counters.rtspConnections++;
          serveRtsp(socket, cam, nonces);
        },
      },
    );
    cameras.set(spec.code, cam);
    if (spec.siteId !== null) {
      const list = bySite.get(spec.siteId) ?? [];
      list.push(cam);
      bySite.set(spec.siteId, list);
    }
  });

  const all = [...cameras.values()];
  const closeAll = async (): Promise<void> => {
    await Promise.all(all.map((c) => c.close()));
    http.close();
  };
  try {
    await inBatches(all, opts.listenConcurrency ?? 256, (c) => c.apply(c.state));
  } catch (err) {
    await closeAll();
    throw err;
  }

  let flapping: SimCamera[] = [];
  let ticker: NodeJS.Timeout | null = null;

  const affected = (t: FaultTarget): SimCamera[] => {
    if (t.camera !== undefined) {
      const c = cameras.get(t.camera);
      if (!c) throw new Error(`unknown camera ${t.camera}`);
      return [c];
    }
    if (t.site !== undefined) {
      const list = bySite.get(t.site);
      if (!list) throw new Error(`unknown site ${t.site}`);
      return list;
    }
    return all;
  };

  const reconcile = async (list: SimCamera[], now = Date.now()): Promise<void> => {
    await inBatches(list, 256, async (c) => {
      const next = book.effective(c.code, c.spec.siteId, now);
      if (!sameState(next, c.state)) await c.apply(next);
    });
  };

  const refreshFlapping = (): void => {
    flapping = all.filter((c) => book.faultsOf(c.code, c.spec.siteId).has('flapping'));
    if (flapping.length > 0 && ticker === null) {
      ticker = setInterval(() => void reconcile(flapping).catch((err: unknown) => log.error({ err }, 'flapping reconcile failed')), 100);
      ticker.unref();
    } else if (flapping.length === 0 && ticker !== null) {
      clearInterval(ticker);
      ticker = null;
    }
  };

  const setFault = async (target: FaultTarget, fault: FaultKind, params: FaultParams = {}): Promise<void> => {
    const list = affected(target);
    book.set(target, fault, params);
    refreshFlapping();
    await reconcile(list);
  };

  for (const f of opts.faults ?? []) {
    const { fault, camera, site, ...params } = f;
    await setFault(camera !== undefined ? { camera } : { site }, fault, params);
  }

  const get = (code: string): SimCamera => {
    const c = cameras.get(code);
    if (!c) throw new Error(`unknown camera ${code}`);
    return c;
  };

  let control: ControlApi | null = null;
  const fleet: Fleet = {
    size: all.length,
    endpoints: () => all.map((c) => c.endpoint()),
    endpoint: (code) => get(code).endpoint(),
    setFault,
    async clearFault(target, fault) {
      const list = affected(target);
      const n = book.clear(target, fault);
      refreshFlapping();
      await reconcile(list);
      return n;
    },
    async clearAllFaults() {
      book.clearAll();
      refreshFlapping();
      await reconcile(all);
    },
    faults: () => book.list(),
    state: (code) => ({ ...get(code).state }),
    expectedFault: (code, slowLimitMs) => expectedFaultClass(get(code).state, slowLimitMs),
    counters: (code) => ({ ...get(code).counters }),
    allCounters: () => Object.fromEntries(all.map((c) => [c.code, { ...c.counters }])),
    totals() {
      const t = emptyCounters();
      for (const c of all) for (const k of Object.keys(t) as (keyof CameraCounters)[]) t[k] += c.counters[k];
      return t;
    },
    snapshotPulls: (code) => get(code).counters.snapshotPulls,
    resetCounters() {
      for (const c of all) c.counters = emptyCounters();
    },
    openSockets: () => all.reduce((n, c) => n + c.onvif.openSockets + c.rtsp.openSockets, 0),
    get controlUrl() {
      return control?.url ?? null;
    },
    async close() {
      if (ticker !== null) clearInterval(ticker);
      ticker = null;
      flapping = [];
      if (control) await control.close();
      await closeAll();
    },
  };
  if (opts.controlPort !== undefined) {
    try {
      control = await startControlApi(fleet, opts.controlPort);
    } catch (err) {
      await fleet.close();
      throw err;
    }
  }
  log.info({ cameras: all.length, hostBase: opts.hostBase ?? '127.20', control: control?.url }, 'camera fleet started');
  return fleet;
}

function sameState(a: EffectiveState, b: EffectiveState): boolean {
  return (
    a.powered === b.powered &&
    a.rtspListening === b.rtspListening &&
    a.rtspBusy === b.rtspBusy &&
    a.hang === b.hang &&
    a.passwordChanged === b.passwordChanged &&
    a.extraSkewMs === b.extraSkewMs &&
    a.delayMs === b.delayMs
  );
}

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

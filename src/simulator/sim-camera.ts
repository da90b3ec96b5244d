/**
 * One simulated camera: identity, credentials, clock, counters, its two listeners
 * (ONVIF+snapshot HTTP, RTSP) and its cached response bodies. Protocol handling lives in
 * onvif-http.ts and rtsp-session.ts; this file only holds state and switches listeners.
 */
import type { AgentCamera } from '../protocol/assignment.ts';
import { Listener, type ConnectionHandler } from './listener.ts';
import * as tpl from './onvif-templates.ts';
import { SnapshotCache } from './snapshot-image.ts';
import { emptyCounters, type CameraCounters, type EffectiveState, type SimCameraSpec } from './types.ts';

export const ONVIF_PATH = '/onvif/device_service';

const HEALTHY: EffectiveState = {
  powered: true,
  rtspListening: true,
  rtspBusy: false,
  hang: false,
  passwordChanged: false,
  extraSkewMs: 0,
  delayMs: 0,
};

export class SimCamera {
  readonly onvif: Listener;
  readonly rtsp: Listener;
  counters: CameraCounters = emptyCounters();
  state: EffectiveState = HEALTHY;
  readonly snapshot: SnapshotCache;
  /** realm of RTSP and snapshot digest, as a Hikvision: "IP Camera(<last 5 of serial>)" */
  readonly realm: string;
  private cache = new Map<string, string>();

  constructor(
    readonly spec: SimCameraSpec,
    readonly index: number,
    readonly host: string,
    ports: { onvif: number; rtsp: number },
    handlers: { onvif: ConnectionHandler; rtsp: ConnectionHandler },
  ) {
    this.onvif = new Listener(host, ports.onvif, handlers.onvif);
    this.rtsp = new Listener(host, ports.rtsp, handlers.rtsp);
    this.snapshot = new SnapshotCache(spec.code, index);
    this.realm = `IP Camera(${spec.code.slice(-5).toUpperCase()})`;
  }

  get code(): string {
    return this.spec.code;
  }

  /** The camera's own clock (true time + configured skew + clock_skew fault). */
  now(trueNow = Date.now()): number {
    return trueNow + (this.spec.clockSkewMs ?? 0) + this.state.extraSkewMs;
  }

  /** Credentials the camera accepts right now (a changed password no longer matches the spec). */
  credentials(): { username: string; password: string } {
    const { username, password } = this.spec;
    return { username, password: this.state.passwordChanged ? `${password}#changed-by-installer` : password };
  }

  identity(): tpl.OnvifIdentity {
    return { host: this.host, onvifPort: this.onvif.port, rtspPort: this.rtsp.port, code: this.spec.code };
  }

  /** Cached body by key, built once (ports are sticky, so the body never changes). */
  cached(key: string, build: () => string): string {
    let v = this.cache.get(key);
    if (v === undefined) {
      v = build();
      this.cache.set(key, v);
    }
    return v;
  }

  /** Bring the listeners in line with the effective state. */
  async apply(state: EffectiveState): Promise<void> {
    const wasHang = this.state.hang;
    this.state = state;
    if (state.hang && !wasHang) {
      // a camera that hangs keeps its sockets open but answers nothing: drop live sessions
      // so a persistent client connection sees the hang too
      this.onvif.dropConnections();
      this.rtsp.dropConnections();
    }
    await Promise.all([this.onvif.setWanted(state.powered), this.rtsp.setWanted(state.rtspListening)]);
  }

  endpoint(): AgentCamera {
    return {
      code: this.spec.code,
      host: this.host,
      onvifPort: this.onvif.port,
      onvifPath: ONVIF_PATH,
      rtspPort: this.rtsp.port,
      rtspUrl: tpl.rtspUrlOf(this.identity()),
      username: this.spec.username,
      password: this.spec.password,
      siteId: this.spec.siteId,
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.onvif.setWanted(false), this.rtsp.setWanted(false)]);
  }
}

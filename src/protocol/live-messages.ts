/**
 * Live snapshots: what hub, agent and viewer say to each other over WebSocket.
 *
 *   agent  ⇄ hub   /api/agent/channel  (agent bearer token in the upgrade request)
 *     hub → agent  text  HubToAgent     (start / stop a snapshot stream at a rate)
 *     agent → hub  binary frame         (header + JPEG, see encodeFrame)
 *     agent → hub  text  AgentToHub     (a grab failed)
 *   viewer ⇄ hub   /api/live           (user token: Authorization header or first message)
 *     viewer → hub text  ViewerToHub    (auth / subscribe / unsubscribe)
 *     hub → viewer text  HubToViewer    (ready, subscribed, refused, state, error)
 *     hub → viewer binary frame         (header + JPEG)
 *
 * Binary frame: [u32 BE header length][header JSON, UTF-8][JPEG bytes].
 * Every incoming message is validated here; bad input gets a message that says what is wrong.
 * The hub's commands to the agent are TypeBox schemas (HubToAgentSchema, `Static` type).
 */
import { type Static, Type } from 'typebox';
import { checker, ProtocolError } from './validate.ts';

export const LIVE_LIMITS = {
  minIntervalMs: 200,
  maxIntervalMs: 60_000,
  /** cameras one viewer may watch at once */
  maxSubscriptions: 16,
  maxCodeLength: 64,
  maxFrameBytes: 2 * 1024 * 1024,
  maxHeaderBytes: 1024,
} as const;

// ---- hub ⇄ agent -------------------------------------------------------------------------

/** a camera code: the rule of validCameraCode below */
const CameraCodeSchema = Type.String({ minLength: 1, maxLength: LIVE_LIMITS.maxCodeLength, pattern: '^[A-Za-z0-9_.:-]+$' });

/** hub → agent: the channel is open; `agent` is the id the hub knows this agent by */
const WelcomeCommandSchema = Type.Object({ type: Type.Literal('welcome'), agent: Type.String() });
/** hub → agent: grab snapshots of `camera` every `intervalMs` (again: change the rate) */
const StartCommandSchema = Type.Object({
  type: Type.Literal('start'),
  camera: CameraCodeSchema,
  intervalMs: Type.Number({ minimum: LIVE_LIMITS.minIntervalMs, maximum: LIVE_LIMITS.maxIntervalMs }),
});
/** hub → agent: stop the stream of `camera` */
const StopCommandSchema = Type.Object({ type: Type.Literal('stop'), camera: CameraCodeSchema });
/** Unknown extra fields are ignored (and dropped by parseHubCommand): a newer hub may add some. */
export const HubToAgentSchema = Type.Union([WelcomeCommandSchema, StartCommandSchema, StopCommandSchema]);
export type HubToAgent = Static<typeof HubToAgentSchema>;

/** busy: the camera is alive but every RTSP session is taken (its session limit), so no frame now */
export type GrabFailure = 'unreachable' | 'timeout' | 'auth' | 'no_snapshot' | 'too_large' | 'busy' | 'fail' | 'unknown_camera';

export type AgentToHub = { type: 'grab_failed'; camera: string; reason: GrabFailure; detail: string; at: number };

// ---- hub ⇄ viewer ------------------------------------------------------------------------

export type ViewerToHub = { type: 'auth'; token: string } | { type: 'subscribe'; cameras: string[] } | { type: 'unsubscribe'; cameras: string[] };

/**
 * waiting: stream requested, no frame yet · live: frames arriving · stale: no new frame for a
 * while (the last good frame stays) · agent_offline: the camera's agent is not connected ·
 * no_agent: no agent is assigned to the camera.
 */
export type LiveState = 'waiting' | 'live' | 'stale' | 'agent_offline' | 'no_agent';

/** too_many_channels: the user has the most live sockets allowed open (the socket then closes with 4429) */
export type ViewerErrorCode = 'bad_json' | 'bad_message' | 'unauthorized' | 'not_authenticated' | 'too_many_channels';

export type HubToViewer =
  | { type: 'ready'; user: string; role: string; maxSubscriptions: number; intervalMs: number }
  | { type: 'subscribed'; camera: string; state: LiveState; lastFrameAt: number | null }
  | { type: 'unsubscribed'; camera: string }
  | { type: 'refused'; camera: string; reason: string }
  | { type: 'state'; camera: string; state: LiveState; reason: string | null; lastFrameAt: number | null }
  | { type: 'error'; code: ViewerErrorCode; message: string };

/** Header of a binary frame. `stale` is set on a kept frame sent to a new viewer. */
export interface FrameHeader {
  camera: string;
  /** epoch ms at the agent when the JPEG was taken */
  capturedAt: number;
  /** per-stream counter at the agent */
  seq: number;
  stale?: boolean;
}

// ---- validation --------------------------------------------------------------------------

export type Parsed<T> = { ok: true; msg: T } | { ok: false; code: 'bad_json' | 'bad_message'; message: string };

const CODE_RE = /^[A-Za-z0-9_.:-]+$/;

export function validCameraCode(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= LIVE_LIMITS.maxCodeLength && CODE_RE.test(v);
}

function parseJsonObject(text: string): Parsed<Record<string, unknown>> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad_json', message: 'message is not valid JSON' };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, code: 'bad_message', message: 'message must be a JSON object with a "type"' };
  return { ok: true, msg: v as Record<string, unknown> };
}

const bad = (message: string): { ok: false; code: 'bad_message'; message: string } => ({ ok: false, code: 'bad_message', message });

function onlyKeys(o: Record<string, unknown>, keys: string[]): string | null {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  return extra.length ? `unknown field(s) ${extra.map((k) => JSON.stringify(k.slice(0, 32))).join(', ')} (allowed: ${keys.join(', ')})` : null;
}

function cameraList(o: Record<string, unknown>, type: string): Parsed<string[]> {
  const c = o.cameras;
  if (!Array.isArray(c) || c.length === 0) return bad(`${type}: "cameras" must be a non-empty array of camera codes, e.g. {"type":"${type}","cameras":["c01"]}`);
  if (c.length > LIVE_LIMITS.maxSubscriptions) return bad(`${type}: at most ${LIVE_LIMITS.maxSubscriptions} cameras per message`);
  const badCode = c.find((x) => !validCameraCode(x));
  if (badCode !== undefined)
    return bad(`${type}: ${JSON.stringify(badCode)?.slice(0, 70) ?? 'undefined'} is not a camera code (letters, digits, _ . : -, at most ${LIVE_LIMITS.maxCodeLength})`);
  return { ok: true, msg: [...new Set(c as string[])] };
}

export function parseViewerMessage(text: string): Parsed<ViewerToHub> {
  const p = parseJsonObject(text);
  if (!p.ok) return p;
  const o = p.msg;
  switch (o.type) {
    case 'auth': {
      const extra = onlyKeys(o, ['type', 'token']);
      if (extra) return bad(`auth: ${extra}`);
      if (typeof o.token !== 'string' || o.token.length === 0 || o.token.length > 512) return bad('auth: "token" must be the string from POST /api/auth/login');
      return { ok: true, msg: { type: 'auth', token: o.token } };
    }
    case 'subscribe':
    case 'unsubscribe': {
      const extra = onlyKeys(o, ['type', 'cameras']);
      if (extra) return bad(`${o.type}: ${extra}`);
      const list = cameraList(o, o.type);
      return list.ok ? { ok: true, msg: { type: o.type, cameras: list.msg } } : list;
    }
    default:
      return bad(`unknown message type ${JSON.stringify(o.type)?.slice(0, 40) ?? 'undefined'} (expected auth, subscribe or unsubscribe)`);
  }
}

export function parseAgentMessage(text: string): Parsed<AgentToHub> {
  const p = parseJsonObject(text);
  if (!p.ok) return p;
  const o = p.msg;
  if (o.type !== 'grab_failed') return bad('expected {"type":"grab_failed",…}');
  if (!validCameraCode(o.camera)) return bad('grab_failed: bad camera');
  if (typeof o.reason !== 'string' || typeof o.detail !== 'string' || typeof o.at !== 'number') return bad('grab_failed: reason, detail, at required');
  return { ok: true, msg: { type: 'grab_failed', camera: o.camera, reason: o.reason as GrabFailure, detail: o.detail.slice(0, 200), at: o.at } };
}

// one checker per command type: a union's errors would not say which field of which command is wrong
const checkWelcome = checker(WelcomeCommandSchema, 'welcome');
const checkStart = checker(StartCommandSchema, 'start');
const checkStop = checker(StopCommandSchema, 'stop');

/** A hub command for the agent, validated with HubToAgentSchema; the result carries only the known fields. */
export function parseHubCommand(text: string): Parsed<HubToAgent> {
  const p = parseJsonObject(text);
  if (!p.ok) return p;
  const o = p.msg;
  try {
    switch (o.type) {
      case 'welcome': {
        const c = checkWelcome(o);
        return { ok: true, msg: { type: 'welcome', agent: c.agent } };
      }
      case 'start': {
        const c = checkStart(o);
        return { ok: true, msg: { type: 'start', camera: c.camera, intervalMs: c.intervalMs } };
      }
      case 'stop': {
        const c = checkStop(o);
        return { ok: true, msg: { type: 'stop', camera: c.camera } };
      }
      default:
        return bad(`unknown command ${JSON.stringify(o.type)?.slice(0, 40) ?? 'undefined'} (expected welcome, start or stop)`);
    }
  } catch (e) {
    if (e instanceof ProtocolError) return bad(e.message);
    throw e;
  }
}

// ---- binary frames -----------------------------------------------------------------------

export function encodeFrame(header: FrameHeader, jpeg: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(4 + h.length + jpeg.length);
  out.writeUInt32BE(h.length, 0);
  h.copy(out, 4);
  jpeg.copy(out, 4 + h.length);
  return out;
}

/** Decode and validate a binary frame; null when it is not one (bad header, not a JPEG, too big). */
export function decodeFrame(buf: Buffer): { header: FrameHeader; jpeg: Buffer } | null {
  if (buf.length < 8 || buf.length > LIVE_LIMITS.maxFrameBytes + LIVE_LIMITS.maxHeaderBytes + 4) return null;
  const n = buf.readUInt32BE(0);
  if (n < 2 || n > LIVE_LIMITS.maxHeaderBytes || 4 + n + 4 > buf.length) return null;
  let h: unknown;
  try {
    h = JSON.parse(buf.toString('utf8', 4, 4 + n));
  } catch {
    return null;
  }
  if (h === null || typeof h !== 'object') return null;
  const o = h as Record<string, unknown>;
  if (!validCameraCode(o.camera) || typeof o.capturedAt !== 'number' || !Number.isFinite(o.capturedAt) || typeof o.seq !== 'number') return null;
  const jpeg = buf.subarray(4 + n);
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return null;
  return { header: { camera: o.camera, capturedAt: o.capturedAt, seq: o.seq, ...(o.stale === true ? { stale: true } : {}) }, jpeg };
}

/**
 * What an edge agent reports about its cameras: the ladder's vocabulary (rungs, outcomes,
 * fault classes) and the wire schemas of POST /api/agent/reports, defined once as TypeBox
 * schemas with their `Static` types. The hub validates a batch's envelope (Fastify) and then
 * each item on its own (./report-items.ts: one bad item is refused alone, listed in the ack);
 * the agent builds them and validates the hub's acknowledgement with `checker()`.
 */
import { type Static, Type } from 'typebox';

/** The rungs of the liveness ladder, in the order they are climbed. */
export const RUNGS = ['tcp', 'onvif_time', 'onvif_auth', 'rtsp', 'frame'] as const;
export type Rung = (typeof RUNGS)[number];

/**
 * The fault class named by the first failing rung.
 * tcp → unreachable (power, fibre, 光猫), onvif_time → onvif_down,
 * onvif_auth/rtsp 401 → auth_failed, rtsp → stream_down, frame → no_frame.
 */
export const FAULT_CLASSES = ['unreachable', 'onvif_down', 'auth_failed', 'stream_down', 'no_frame'] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

/** How one rung ended. `auth` = the peer refused our credentials (never retried in a loop). */
export const RUNG_OUTCOMES = ['ok', 'fail', 'timeout', 'auth', 'skipped'] as const;
export type RungOutcome = (typeof RUNG_OUTCOMES)[number];

/**
 * Where a piece of liveness evidence comes from: the ONVIF/RTSP ladder today; GB/T 28181
 * registrations and keepalives next. Absent on the wire = `ladder`.
 */
export const EVIDENCE_SOURCES = ['ladder', 'gb28181'] as const;
export type EvidenceSource = (typeof EVIDENCE_SOURCES)[number];

/** Longest `detail` text the hub accepts for one rung. */
export const MAX_DETAIL_LENGTH = 200;
/** Most items in one report batch. */
export const MAX_BATCH_ITEMS = 1000;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const RungResultSchema = Type.Object(
  {
    rung: Type.Enum(RUNGS),
    outcome: Type.Enum(RUNG_OUTCOMES),
    /** wall-clock milliseconds the rung took */
    ms: Type.Number({ minimum: 0, maximum: 3_600_000 }),
    /** short human text (error code, HTTP status); never credentials */
    detail: Type.Optional(Type.String({ maxLength: MAX_DETAIL_LENGTH })),
  },
  { additionalProperties: false },
);
export type RungResult = Static<typeof RungResultSchema>;

export const ProbeResultSchema = Type.Object(
  {
    /** camera code (the national 20-digit GB/T 28181 id or the county's own code) */
    camera: Type.String({ minLength: 1, maxLength: 64 }),
    /** epoch milliseconds when the evidence was measured (the ladder finished), agent clock */
    at: Type.Integer({ minimum: 0 }),
    /** null when every climbed rung was ok */
    fault: Nullable(Type.Enum(FAULT_CLASSES)),
    rungs: Type.Array(RungResultSchema, { maxItems: 8 }),
    /** camera clock minus agent clock, ms; null if not measured */
    clockOffsetMs: Nullable(Type.Number()),
    /** the liveness source; absent = the ladder */
    source: Type.Optional(Type.Enum(EVIDENCE_SOURCES)),
    /**
     * true when the camera answered at its RTSP session limit (453, 503 with Retry-After, a
     * vendor's "maximum clients"): alive — its rung is ok, no fault — but no session was free
     * (the NVR or a viewer holds them). Absent = not busy.
     */
    busy: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
/** What an agent reports about one camera after one pass of a liveness source. */
export type ProbeResult = Static<typeof ProbeResultSchema>;

/** One POST /api/agent/reports body. (agent, seq) makes it idempotent. */
export const ReportBatchSchema = Type.Object(
  {
    /** strictly increasing per agent, starting at 1; survives agent restarts (spooled) */
    seq: Type.Integer({ minimum: 1 }),
    /** epoch ms when the batch was first built */
    sentAt: Type.Integer({ minimum: 0 }),
    items: Type.Array(ProbeResultSchema, { maxItems: MAX_BATCH_ITEMS }),
  },
  { additionalProperties: false },
);
export type ReportBatch = Static<typeof ReportBatchSchema>;

export const ReportAckSchema = Type.Object({
  seq: Type.Integer(),
  /** true when this (agent, seq) had been processed before: nothing was changed */
  duplicate: Type.Boolean(),
  accepted: Type.Integer(),
  /** items refused one by one, with the reason (e.g. camera not assigned to this agent); the rest was applied */
  refused: Type.Array(
    Type.Object({
      /** position of the item in the batch's `items` */
      index: Type.Integer(),
      /** the item's camera code ('' when the item had none) */
      camera: Type.String(),
      /** human text, for the agent's log */
      reason: Type.String(),
      /**
       * machine-readable reason, one of REFUSAL_CODES (a plain string on the wire so that
       * a newer hub's new code does not make an older agent's ack malformed); absent from
       * hubs before the per-item validation
       */
      code: Type.Optional(Type.String()),
    }),
  ),
});
export type ReportAck = Static<typeof ReportAckSchema>;

/**
 * Why the hub refused one item of a batch: `invalid` (does not match ProbeResultSchema, e.g. a
 * `detail` over MAX_DETAIL_LENGTH), `future` (dated beyond the hub's clock tolerance ahead of
 * it), `too_old` (measured longer before it arrived than late evidence may be, 24 h by default),
 * `unknown_camera` (not in the registry, or retired), `not_assigned` (the camera belongs to another agent).
 */
export const REFUSAL_CODES = ['invalid', 'future', 'too_old', 'unknown_camera', 'not_assigned'] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Fault class implied by the first failing rung (the rule lives here once). */
export function faultClassFor(rung: Rung, outcome: RungOutcome): FaultClass | null {
  if (outcome === 'ok' || outcome === 'skipped') return null;
  if (outcome === 'auth') return 'auth_failed';
  switch (rung) {
    case 'tcp':
      return 'unreachable';
    case 'onvif_time':
      return 'onvif_down';
    case 'onvif_auth':
      return 'onvif_down';
    case 'rtsp':
      return 'stream_down';
    case 'frame':
      return 'no_frame';
  }
}

/**
 * A report batch is checked in two steps, so that one bad item never costs the others:
 * the envelope (seq, sentAt, at most MAX_BATCH_ITEMS items) refuses the whole batch — without
 * a valid seq nothing can be acknowledged — and then each item is checked on its own against
 * ProbeResultSchema (`checkReportItem`): a bad one is refused alone, with its reason in the ack.
 *
 * Forward compatible: a property this side does not know (a newer agent's field, in the
 * envelope or an item) is ignored, not a reason to refuse — the protocol grows additively.
 */
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { MAX_BATCH_ITEMS, type ProbeResult, ProbeResultSchema } from './probe-result.ts';

/** The POST /api/agent/reports body as the hub validates it first: items are checked one by one after. */
export const ReportEnvelopeSchema = Type.Object({
  /**
   * strictly increasing per agent, starting at 1 (the idempotence key with the agent); at most
   * 2^53 − 1: above it two seqs can be the same number, and 1e308 is an "integer" to JSON Schema
   * that the ledger's bigint cannot hold (the fuzz campaign's find: the hub answered 503 forever)
   */
  seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  /** epoch ms when the batch was first built */
  sentAt: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  items: Type.Array(Type.Unknown(), { maxItems: MAX_BATCH_ITEMS }),
});
export type ReportEnvelope = Static<typeof ReportEnvelopeSchema>;

/** Longest `reason` text of an invalid item in the ack. */
export const MAX_INVALID_REASON = 200;
/** Longest camera code echoed in the ack (the schema's own cap). */
const MAX_CAMERA = 64;

export type ItemCheck = { ok: true; item: ProbeResult } | { ok: false; camera: string; reason: string };

const compiled = Compile(ProbeResultSchema);

/**
 * One item of a batch: `ok` with the item (unknown properties removed) or the reason it is
 * refused, naming the first problems (e.g. `/rungs/0/detail must not have more than 200 characters`).
 */
export function checkReportItem(value: unknown): ItemCheck {
  if (compiled.Check(value)) return { ok: true, item: value };
  if (isObject(value)) {
    // a newer agent's extra field: drop what this side does not know and look again
    Value.Clean(ProbeResultSchema, value);
    if (compiled.Check(value)) return { ok: true, item: value };
  }
  const problems: string[] = [];
  for (const e of compiled.Errors(value)) {
    problems.push(`${e.instancePath || '/'} ${e.message}`);
    if (problems.length === 3) break;
  }
  return { ok: false, camera: cameraOf(value), reason: `invalid item: ${problems.join('; ')}`.slice(0, MAX_INVALID_REASON) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cameraOf(v: unknown): string {
  const c = isObject(v) ? v.camera : undefined;
  return typeof c === 'string' ? c.slice(0, MAX_CAMERA) : '';
}

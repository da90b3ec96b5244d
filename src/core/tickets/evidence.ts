/**
 * Failure evidence per camera: its newest `evidencePerCamera` failing probe results, kept
 * until its next successful one. A ticket opens with its cameras' evidence (at most
 * `TICKET_EVIDENCE_MAX` items); a worker's report takes the newest fault class.
 */
import type { FaultClass, ProbeResult } from '../../protocol/probe-result.ts';
import type { Evidence, TicketRules } from './model.ts';

export const TICKET_EVIDENCE_MAX = 24;

export class FailureEvidence {
  private readonly failures = new Map<string, Evidence[]>();

  constructor(private readonly rules: TicketRules) {}

  /** A failing probe result: kept, the oldest dropped beyond `evidencePerCamera`. */
  failed(r: ProbeResult): void {
    let list = this.failures.get(r.camera);
    if (!list) this.failures.set(r.camera, (list = []));
    list.push({ camera: r.camera, at: r.at, fault: r.fault, rungs: r.rungs });
    if (list.length > this.rules.evidencePerCamera) list.shift();
  }

  /** A successful probe result: the camera's evidence is history. */
  succeeded(code: string): void {
    if (this.failures.size > 0) this.failures.delete(code);
  }

  /** The evidence a new ticket over these cameras carries. */
  forTicket(cameras: readonly { code: string }[]): Evidence[] {
    return cameras.flatMap((c) => this.failures.get(c.code) ?? []).slice(0, TICKET_EVIDENCE_MAX);
  }

  /** The fault class of the camera's newest failing result. */
  lastFault(code: string): FaultClass | null {
    return this.failures.get(code)?.at(-1)?.fault ?? null;
  }
}

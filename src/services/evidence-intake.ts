/**
 * The one way evidence enters the monitor. Any liveness source's results (the ladder's
 * report batches today, GB/T 28181 next) pass through `submit`; the monitor decides per
 * item; ONLY evidence it applied reaches the listeners (ticket rules, rung statistics).
 * Refused items — a camera of another agent, an unknown code, a date beyond the clock
 * tolerance ahead of the hub — reach no one: one agent cannot write evidence into another
 * agent's tickets, nor grow any map with invented codes, nor freeze a camera with a date
 * in the far future.
 */
import type { EvidenceVerdict } from '../core/evidence.ts';
import type { Monitor } from '../core/monitor.ts';
import type { ProbeResult } from '../protocol/probe-result.ts';

export type AppliedListener = (applied: readonly ProbeResult[], now: number) => void;

export interface Refusal {
  index: number;
  camera: string;
  verdict: Exclude<EvidenceVerdict, 'applied' | 'old'>;
}

export class EvidenceIntake {
  private readonly listeners: AppliedListener[] = [];

  constructor(private readonly monitor: Monitor) {}

  /** Called with each submission's applied items, in order. Keep it cheap: it runs on the ingest path. */
  onApplied(fn: AppliedListener): void {
    this.listeners.push(fn);
  }

  /** Apply `items` reported by `agentId`, in order. Pending transitions stay in the monitor for the transition sink. */
  submit(agentId: string, items: readonly ProbeResult[], now: number): { applied: number; refused: Refusal[] } {
    const refused: Refusal[] = [];
    const applied: ProbeResult[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const verdict = this.monitor.apply(agentId, item, now);
      if (verdict === 'applied') applied.push(item);
      else if (verdict !== 'old') refused.push({ index: i, camera: item.camera, verdict });
    }
    if (applied.length > 0) for (const fn of this.listeners) fn(applied, now);
    return { applied: applied.length, refused };
  }
}

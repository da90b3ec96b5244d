/** What a running camera fleet offers its users: the tests, the demo and the control API. */
import type { AgentCamera } from '../protocol/assignment.ts';
import type { FaultClass } from '../protocol/probe-result.ts';
import type { ActiveFault, CameraCounters, EffectiveState, FaultKind, FaultParams, FaultTarget } from './types.ts';

export interface Fleet {
  readonly size: number;
  /** AgentCamera-shaped endpoints (with credentials, as the hub hands them to an agent) */
  endpoints(): AgentCamera[];
  endpoint(code: string): AgentCamera;
  setFault(target: FaultTarget, fault: FaultKind, params?: FaultParams): Promise<void>;
  /** clear one fault kind (or all of the target's when omitted); resolves to how many were cleared */
  clearFault(target: FaultTarget, fault?: FaultKind): Promise<number>;
  clearAllFaults(): Promise<void>;
  faults(): ActiveFault[];
  state(code: string): EffectiveState;
  /** what a correct agent should report for this camera now (null = online) */
  expectedFault(code: string, slowLimitMs?: number): FaultClass | null;
  counters(code: string): CameraCounters;
  allCounters(): Record<string, CameraCounters>;
  totals(): CameraCounters;
  snapshotPulls(code: string): number;
  resetCounters(): void;
  /** open client-side sockets on all listeners (for leak checks) */
  openSockets(): number;
  /** base URL of the control API, or null when not started */
  readonly controlUrl: string | null;
  close(): Promise<void>;
}

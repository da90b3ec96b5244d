/**
 * Time as the agent's timers see it: the scheduler, the reporter and the assignment poller
 * take a Clock, so tests drive them with a manual one (test/agent-runtime/fake-clock.ts).
 */

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

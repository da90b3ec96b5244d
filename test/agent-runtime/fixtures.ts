/** Cameras and fake probe results shared by the agent-runtime tests. */
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.ts';
import type { FaultClass, ProbeResult } from '../../src/protocol/probe-result.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';

export function camera(code: string, password = 'secret-pw'): AgentCamera {
  return {
    code,
    host: '127.0.0.1',
    onvifPort: 80,
    onvifPath: '/onvif/device_service',
    rtspPort: 554,
    rtspUrl: 'rtsp://127.0.0.1:554/Streaming/Channels/101',
    username: 'admin',
    password,
    siteId: null,
  };
}

export function cameras(n: number, prefix = 'CAM'): AgentCamera[] {
  return Array.from({ length: n }, (_, i) => camera(`${prefix}${String(i).padStart(5, '0')}`));
}

let serial = 0;
/** A result whose rungs[0].detail carries a unique id, so tests can count every single one. */
export function result(code: string, at: number, fault: FaultClass | null = null): ProbeResult {
  return {
    camera: code,
    at,
    fault,
    rungs: [{ rung: 'tcp', outcome: fault === 'unreachable' ? 'timeout' : 'ok', ms: 1, detail: `id=${++serial}` }],
    clockOffsetMs: null,
  };
}

export const resultId = (r: ProbeResult): string => r.rungs[0]?.detail ?? '?';

/** A logger that keeps every line (tests read them back), printing nothing. */
export function captureLog(name = 'test') {
  const lines: Record<string, unknown>[] = [];
  const text: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) {
        text.push(l);
        lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { log: createLogger(name, sink), lines, text };
}

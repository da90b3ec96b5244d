/** An AgentCamera on loopback for the probe tests. */
import type { AgentCamera } from '../../src/protocol/assignment.ts';

export const PASSWORD = 'Tr0ub4dor&3';

export function loopbackCamera(p: { onvifPort?: number; rtspPort?: number; path?: string; username?: string; password?: string }): AgentCamera {
  const rtspPort = p.rtspPort ?? 1;
  return {
    code: '37092300001310000001',
    host: '127.0.0.1',
    onvifPort: p.onvifPort ?? 1,
    onvifPath: '/onvif/device_service',
    rtspPort,
    rtspUrl: `rtsp://127.0.0.1:${rtspPort}${p.path ?? '/stream1'}`,
    username: p.username ?? 'admin',
    password: p.password ?? PASSWORD,
    siteId: null,
  };
}

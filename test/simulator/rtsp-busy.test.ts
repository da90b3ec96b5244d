/**
 * The simulator's rtsp_busy fault (a camera whose RTSP sessions an NVR holds) as the agent
 * sees it: DESCRIBE answered 453, the ladder reports the camera alive and busy, which is what
 * the fleet expects (no fault). Before: no such fault, and a real camera in that state was
 * reported stream_down / no_frame.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeCamera } from '../../edge-agent/ladder.ts';
import type { Fleet } from '../../src/simulator/fleet-api.ts';
import { startFleet } from '../../src/simulator/fleet.ts';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ cameras: [{ code: 'K1', siteId: 'site-K', username: 'admin', password: 'pw-K1' }], hostBase: '127.31' });
});
afterAll(async () => {
  await fleet.close();
});

it('rtsp_busy: the ladder says alive, busy (rtsp rung ok with its 453), as the fleet expects; cleared: not busy', async () => {
  await fleet.setFault({ camera: 'K1' }, 'rtsp_busy');
  expect(fleet.expectedFault('K1')).toBeNull();
  const r = await probeCamera(fleet.endpoint('K1'), { withFrame: true, timeouts: { frame: 3000 } });
  expect(r.fault).toBeNull();
  expect(r.busy).toBe(true);
  expect(r.rungs.find((x) => x.rung === 'rtsp')).toMatchObject({ outcome: 'ok', detail: 'busy: DESCRIBE RTSP 453 Not Enough Bandwidth' });
  expect(r.rungs.find((x) => x.rung === 'frame')).toMatchObject({ outcome: 'ok', detail: 'busy: DESCRIBE RTSP 453 Not Enough Bandwidth' });
  await fleet.clearFault({ camera: 'K1' }, 'rtsp_busy');
  const after = await probeCamera(fleet.endpoint('K1'), {});
  expect(after.fault).toBeNull();
  expect(after.busy).toBeUndefined();
});

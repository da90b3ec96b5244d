/**
 * A camera at its RTSP session limit, through the whole hub: the agent's real ladder against
 * GStreamer's RTSP server with max_sessions 1 while another viewer (an NVR) holds the one
 * session, its results posted as the agent posts them. The hub must keep the camera online
 * and open no ticket (before: the frame rung failed → no_frame → offline after three rounds →
 * a ticket). The same rounds reported as no_frame do open one: the test can tell.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { probeCamera } from '../../edge-agent/ladder.ts';
import type { ProbeResult } from '../../src/protocol/probe-result.ts';
import { loopbackCamera, PASSWORD } from '../agent-probes/cam.ts';
import { startFakeOnvif, type Running } from '../agent-probes/fake-camera.ts';
import { startGstServer, type GstServer } from '../agent-probes/gst-server.ts';
import { holdSession, type HeldSession } from '../agent-probes/rtsp-holder.ts';
import { describeWithPeer } from '../support/peers.ts';
import { batch, post } from '../support/reports.ts';
import { AGENT_B } from '../support/tiny-county.ts';
import { startTicketHub, ticketRows, type TicketHub } from './support.ts';

describeWithPeer('gstreamer', 'a camera at its RTSP session limit, through the hub', () => {
  let gst: GstServer;
  let onvif: Running;
  let nvr: HeldSession;
  let h: TicketHub | undefined;
  beforeAll(async () => {
    gst = await startGstServer('admin', PASSWORD, '/stream', { maxSessions: 1 });
    onvif = await startFakeOnvif({ username: 'admin', password: PASSWORD });
    nvr = await holdSession(gst.url, 'admin', PASSWORD);
  }, 20_000);
  afterAll(async () => {
    await nvr?.release();
    await Promise.all([gst?.stop(), onvif?.close()]);
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** One ladder pass of the real camera, reported as hub camera c09 (agent B's) at the hub's clock. */
  async function report(hub: TicketHub, seq: number, rewrite?: (r: ProbeResult) => ProbeResult): Promise<ProbeResult> {
    hub.clock.now += 30_000;
    const measured = await probeCamera(loopbackCamera({ onvifPort: onvif.port, rtspPort: gst.port, path: '/stream' }), { withFrame: true, timeouts: { frame: 8_000 } });
    const item = { ...measured, camera: 'c09', at: hub.clock.now };
    const sent = rewrite ? rewrite(item) : item;
    const r = await post(hub.t.hub.app, AGENT_B.token, batch(seq, [sent], hub.clock.now));
    expect(r.json()).toMatchObject({ accepted: 1, refused: [] });
    return sent;
  }

  it('busy results: online, no ticket', async () => {
    h = await startTicketHub('pglite');
    for (let seq = 1; seq <= 4; seq++) {
      const sent = await report(h, seq);
      expect(sent.busy).toBe(true);
      expect(sent.fault).toBeNull();
    }
    h.svc().tick();
    await h.svc().flush();
    expect(h.t.hub.monitor.cameras.get('c09')!.state).toBe('online');
    expect(await ticketRows(h)).toEqual([]);
  }, 60_000);

  it('control: the same rounds classified the old way (frame rung failed → no_frame) open a ticket', async () => {
    h = await startTicketHub('pglite');
    const old = (r: ProbeResult): ProbeResult => {
      const { busy: _busy, ...rest } = r;
      return { ...rest, fault: 'no_frame', rungs: r.rungs.map((x) => (x.rung === 'frame' ? { ...x, outcome: 'fail' as const } : x)) };
    };
    await report(h, 1, (r) => r);
    for (let seq = 2; seq <= 4; seq++) await report(h, seq, old);
    h.svc().tick();
    await h.svc().flush();
    expect(h.t.hub.monitor.cameras.get('c09')!.state).toBe('offline');
    expect((await ticketRows(h)).map((t) => t.camera_codes)).toEqual([['c09']]);
  }, 60_000);
});

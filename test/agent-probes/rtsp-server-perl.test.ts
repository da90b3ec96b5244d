/**
 * Against a second REAL RTSP server: Debian's RTSP::Server (librtsp-server-perl), a relay fed
 * by a source (test/agent-probes/perl-rtsp.ts). Two of its own behaviours are what cameras
 * do: past `max_clients` a SETUP is answered "453 Maximum Clients Reached" (→ busy, alive),
 * and it streams over UDP only — a SETUP asking for TCP-interleaved RTP (no client_port) is
 * answered "400 Bad Request" (→ the frame over UDP). Needs the `rtsp-server-perl` test peer.
 */
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grabFrame } from '../../edge-agent/frame-grab.ts';
import { probeCamera } from '../../edge-agent/ladder.ts';
import { probeRtsp } from '../../edge-agent/probes/rtsp.ts';
import { describeWithPeer } from '../support/peers.ts';
import { loopbackCamera, PASSWORD } from './cam.ts';
import { startFakeOnvif, type Running } from './fake-camera.ts';
import { startPerlRtspServer, type PerlRtspServer } from './perl-rtsp.ts';
import { holdSession, type HeldSession } from './rtsp-holder.ts';

describeWithPeer('rtsp-server-perl', "Debian's RTSP::Server", () => {
  describe('max_clients 1', () => {
    let srv: PerlRtspServer;
    let onvif: Running;
    beforeAll(async () => {
      srv = await startPerlRtspServer({ maxClients: 1 });
      onvif = await startFakeOnvif({ username: 'admin', password: PASSWORD });
    }, 20_000);
    afterAll(async () => {
      await Promise.all([srv?.stop(), onvif?.close()]);
    });
    const cam = () => loopbackCamera({ onvifPort: onvif.port, rtspPort: srv.port, path: '/stream' });

    it('alone: the interleaved SETUP is refused 400, the frame comes over UDP, decoded', async () => {
      const r = await grabFrame({ url: srv.url, username: 'admin', password: PASSWORD, timeoutMs: 8_000 });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (!r.ok) return;
      expect(r.transport).toBe('udp');
      const img = jpeg.decode(r.jpeg);
      expect([img.width, img.height]).toEqual([320, 240]);
    }, 15_000);

    it('another viewer connected: SETUP → 453 Maximum Clients Reached → busy; the ladder: no fault, busy', async () => {
      let nvr: HeldSession | undefined;
      // RTSP::Server never answers TEARDOWN: the agent's previous connection closes after its
      // 300 ms grace, and until then it counts as a client
      await new Promise((done) => setTimeout(done, 500));
      try {
        nvr = await holdSession(srv.url, 'admin', PASSWORD, 'RTP/AVP;unicast;client_port=40998-40999');
        expect(nvr.statuses).toEqual([200, 200, 200]);
        const g = await grabFrame({ url: srv.url, username: 'admin', password: PASSWORD, timeoutMs: 8_000 });
        expect(g, JSON.stringify(g)).toMatchObject({ ok: false, reason: 'busy', detail: 'busy: SETUP RTSP 453 Maximum Clients Reached' });
        // DESCRIBE is still answered: the rtsp rung is plainly ok
        expect(await probeRtsp({ cam: cam(), timeoutMs: 3000, clockOffsetMs: null })).toEqual({ outcome: 'ok' });
        const r = await probeCamera(cam(), { withFrame: true, timeouts: { frame: 8_000 } });
        expect(r.fault).toBeNull();
        expect(r.busy).toBe(true);
        expect(r.rungs.at(-1)).toMatchObject({ rung: 'frame', outcome: 'ok', detail: 'busy: SETUP RTSP 453 Maximum Clients Reached' });
      } finally {
        await nvr?.release();
      }
    }, 30_000);
  });
});

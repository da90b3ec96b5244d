#!/usr/bin/python3
"""A real third-party RTSP server for tests: GStreamer's gst-rtsp-server through PyGObject.

Serves a live test pattern (videotestsrc ! x264enc ! rtph264pay) on rtsp://127.0.0.1:PORT/stream,
protected by RTSP Digest authentication (Basic is not offered).
Binds loopback only. Prints "READY <port> <codec>" on stdout once it listens; runs until killed.

Camera behaviours on demand:
  --codec h265           H.265 (x265enc, plugins-bad) instead of H.264
  --max-sessions N       the session pool holds at most N sessions (a camera at its client
                         limit: a further SETUP is refused, as GstRTSPSessionPool does it)
  --udp-only             the media factory offers RTP over UDP only (SETUP asking for
                         TCP-interleaved is answered 461 Unsupported Transport)

Debian packages: gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
gstreamer1.0-plugins-ugly python3-gi. Run with /usr/bin/python3.
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

PIPELINES = {
    # H.264 in RTP, what most cameras send; ffmpeg decodes it
    'h264': (
        '( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=10/1 '
        '! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=256 '
        '! rtph264pay name=pay0 pt=96 config-interval=1 )'
    ),
    # H.265 in RTP (x265enc is in plugins-bad), what some newer cameras send
    'h265': (
        '( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=10/1 '
        '! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=256 '
        '! rtph265pay name=pay0 pt=96 config-interval=1 )'
    ),
    # fallback when x264enc (plugins-ugly) is missing: Motion JPEG in RTP (plugins-good)
    'jpeg': (
        '( videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=320,height=240,framerate=10/1 '
        '! jpegenc quality=60 ! rtpjpegpay name=pay0 pt=26 )'
    ),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=0, help='0 = pick a free port (printed after READY)')
    ap.add_argument('--user', default='admin')
    ap.add_argument('--password', default='admin123')
    ap.add_argument('--path', default='/stream')
    ap.add_argument('--codec', choices=sorted(PIPELINES), default=None)
    ap.add_argument('--max-sessions', type=int, default=0, help='0 = no limit')
    ap.add_argument('--udp-only', action='store_true', help='refuse RTP over the RTSP connection (TCP-interleaved)')
    args = ap.parse_args()

    Gst.init(None)
    codec = args.codec or ('h264' if Gst.ElementFactory.find('x264enc') else 'jpeg')

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(PIPELINES[codec])
    factory.set_shared(True)
    if args.udp_only:
        factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP)
    if args.max_sessions > 0:
        server.get_session_pool().set_max_sessions(args.max_sessions)

    # Digest only: the camera-like case where the client must answer a Digest challenge.
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string('media.factory.role', 'viewer')
    auth.add_digest(args.user, args.password, token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    server.set_auth(auth)

    perms = GstRtspServer.RTSPPermissions()
    perms.add_permission_for_role('viewer', 'media.factory.access', True)
    perms.add_permission_for_role('viewer', 'media.factory.construct', True)
    factory.set_permissions(perms)

    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print('FAILED to attach (port in use?)', file=sys.stderr, flush=True)
        return 1

    # Keep the stream prepared, as a camera's encoder always runs: without this the shared media
    # is unprepared when its last session ends, and a DESCRIBE arriving during that is
    # answered 503 (a GStreamer quirk no camera has). One prepare() of our own keeps the
    # media's prepare count above zero.
    url = GstRtsp.RTSPUrl.parse(f'rtsp://127.0.0.1:{server.get_bound_port()}{args.path}')[1]
    keeper = factory.construct(url)
    thread = server.get_thread_pool().get_thread(GstRtspServer.RTSPThreadType.MEDIA, GstRtspServer.RTSPContext())
    if keeper is None or thread is None or not keeper.prepare(thread):
        print('FAILED to prepare the media', file=sys.stderr, flush=True)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f'READY {server.get_bound_port()} {codec}', flush=True)
    loop.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())

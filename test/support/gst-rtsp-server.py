#!/usr/bin/python3
"""A real third-party RTSP server for tests: GStreamer's gst-rtsp-server through PyGObject.

Serves a live test pattern (videotestsrc ! x264enc ! rtph264pay) on rtsp://127.0.0.1:PORT/stream,
protected by RTSP Digest authentication (Basic is not offered).
Binds loopback only. Prints "READY <port>" on stdout once it listens; runs until killed.

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
    # fallback when x264enc (plugins-ugly) is missing: Motion JPEG in RTP (plugins-good)
    'jpeg': (
        '( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=10/1 '
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
    args = ap.parse_args()

    Gst.init(None)
    codec = args.codec or ('h264' if Gst.ElementFactory.find('x264enc') else 'jpeg')

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(PIPELINES[codec])
    factory.set_shared(True)

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

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f'READY {server.get_bound_port()} {codec}', flush=True)
    loop.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())

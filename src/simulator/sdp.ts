/**
 * The session description a simulated camera returns to DESCRIBE: H.264, modelled on the
 * Hikvision SDPs in shared/fixtures/rtsp-sdp (Media_header, appversion, trackID control).
 */
import { PROFILES, rtspUrlOf, type OnvifIdentity } from './onvif-templates.ts';

// real SPS/PPS pairs taken from the fixture SDPs: 1080p High@4.0 (Uniview) and Main@2.0 (Hik Media Server)
const FMTP_MAIN = 'profile-level-id=640028;packetization-mode=1;sprop-parameter-sets=Z2QAKKw7UDwBE/LCAAAH0AAA6mEI,aOqPLA==';
const FMTP_SUB = 'profile-level-id=4D0014;packetization-mode=1;sprop-parameter-sets=Z01AHppmBYHv81BgYGQAAA+gAAF3ABA=,aO48gA==';

export function sdpFor(id: OnvifIdentity, channel: number): string {
  const p = PROFILES.find((x) => x.channel === channel) ?? PROFILES[0];
  const url = rtspUrlOf(id, channel);
  const session = 1_109_162_014_219_182 + channel;
  const lines = [
    'v=0',
    `o=- ${session} ${session} IN IP4 ${id.host}`,
    's=Media Presentation',
    'e=NONE',
    `b=AS:${p.kbps + 50}`,
    't=0 0',
    `a=control:${url}/`,
    'm=video 0 RTP/AVP 96',
    'c=IN IP4 0.0.0.0',
    `b=AS:${p.kbps}`,
    'a=recvonly',
    `a=x-dimensions:${p.width},${p.height}`,
    `a=control:${url}/trackID=1`,
    'a=rtpmap:96 H264/90000',
    `a=fmtp:96 ${channel === 101 ? FMTP_MAIN : FMTP_SUB}`,
    'a=Media_header:MEDIAINFO=494D4B48010200000400000100000000000000000000000000000000000000000000000000000000;',
    'a=appversion:1.0',
  ];
  return lines.join('\r\n') + '\r\n';
}

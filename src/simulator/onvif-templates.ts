/**
 * ONVIF SOAP 1.2 responses, modelled on the Hikvision captures in shared/fixtures/onvif/hikvision
 * (env: prefix, tds/trt/tt namespaces, POSIX TZ string, Hikvision ter:NotAuthorized fault).
 * Everything per camera is built once into strings; only the date/time is filled per request.
 */

export interface OnvifIdentity {
  host: string;
  onvifPort: number;
  rtspPort: number;
  code: string;
}

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" ' +
  'xmlns:soapenc="http://www.w3.org/2003/05/soap-encoding" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
  'xmlns:xs="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" ' +
  'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ' +
  'xmlns:timg="http://www.onvif.org/ver20/imaging/wsdl" ' +
  'xmlns:tev="http://www.onvif.org/ver10/events/wsdl" ' +
  'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" ' +
  'xmlns:ter="http://www.onvif.org/ver10/error" ' +
  'xmlns:hikxsd="http://www.onvifext.com/onvif/ext/ver10/schema">' +
  '<env:Body>';
const ENVELOPE_CLOSE = '</env:Body></env:Envelope>\n';

export const envelope = (body: string): string => ENVELOPE_OPEN + body + ENVELOPE_CLOSE;

function fault(code: 'env:Sender' | 'env:Receiver', subcode: string, reason: string): string {
  return envelope(
    '<env:Fault><env:Code><env:Value>' +
      code +
      '</env:Value>' +
      '<env:Subcode><env:Value>' +
      subcode +
      '</env:Value></env:Subcode></env:Code>' +
      '<env:Reason><env:Text xml:lang="en">' +
      reason +
      '</env:Text></env:Reason></env:Fault>',
  );
}

/** As the TRENDnet (Hikvision OEM) capture: sent with HTTP 400. */
export const NOT_AUTHORIZED_FAULT = fault('env:Sender', 'ter:NotAuthorized', 'The action requested requires authorization and the sender is not authorized');
export const ACTION_NOT_SUPPORTED_FAULT = fault('env:Receiver', 'ter:ActionNotSupported', 'Optional Action Not Implemented');
export const WELL_FORMED_FAULT = fault('env:Sender', 'ter:WellFormed', 'The message is not well-formed');
export const NO_PROFILE_FAULT = fault('env:Sender', 'ter:InvalidArgVal', 'The requested profile token ProfileToken does not exist');

/** Camera-local time zone of the county (China Standard Time, POSIX form as Hikvision sends it). */
const TZ_POSIX = 'CST-8:00:00';
const TZ_OFFSET_MS = 8 * 3_600_000;

function dateTimeXml(ms: number): string {
  const d = new Date(ms);
  return (
    '<tt:Time><tt:Hour>' +
    d.getUTCHours() +
    '</tt:Hour><tt:Minute>' +
    d.getUTCMinutes() +
    '</tt:Minute><tt:Second>' +
    d.getUTCSeconds() +
    '</tt:Second></tt:Time>' +
    '<tt:Date><tt:Year>' +
    d.getUTCFullYear() +
    '</tt:Year><tt:Month>' +
    (d.getUTCMonth() + 1) +
    '</tt:Month><tt:Day>' +
    d.getUTCDate() +
    '</tt:Day></tt:Date>'
  );
}

/** GetSystemDateAndTime for a camera whose clock reads `cameraNowMs`. */
export function systemDateAndTime(cameraNowMs: number): string {
  return envelope(
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
      '<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
      '<tt:TimeZone><tt:TZ>' +
      TZ_POSIX +
      '</tt:TZ></tt:TimeZone>' +
      '<tt:UTCDateTime>' +
      dateTimeXml(cameraNowMs) +
      '</tt:UTCDateTime>' +
      '<tt:LocalDateTime>' +
      dateTimeXml(cameraNowMs + TZ_OFFSET_MS) +
      '</tt:LocalDateTime>' +
      '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>',
  );
}

const MODELS = ['DS-2CD2T47G2-L', 'DS-2CD3T86FWDV2-I3S', 'DS-2DE4425IW-DE', 'DS-2CD2043G2-I'];

/** Device information of a camera; the firmware version is a string that looks like a number on purpose. */
export function deviceInfoFor(code: string): { manufacturer: string; model: string; firmware: string; serial: string; hardwareId: string } {
  let h = 0;
  for (let i = 0; i < code.length; i++) h = (h * 31 + code.charCodeAt(i)) >>> 0;
  const model = MODELS[h % MODELS.length] ?? 'DS-2CD2T47G2-L';
  return {
    manufacturer: 'HIKVISION',
    model,
    firmware: 'V5.4.0 build 160530',
    serial: `${model}20200817AACH${code.slice(-9).padStart(9, '0')}`,
    hardwareId: '88',
  };
}

export function deviceInformation(code: string): string {
  const d = deviceInfoFor(code);
  return envelope(
    '<tds:GetDeviceInformationResponse>' +
      '<tds:Manufacturer>' +
      d.manufacturer +
      '</tds:Manufacturer>' +
      '<tds:Model>' +
      d.model +
      '</tds:Model>' +
      '<tds:FirmwareVersion>' +
      d.firmware +
      '</tds:FirmwareVersion>' +
      '<tds:SerialNumber>' +
      d.serial +
      '</tds:SerialNumber>' +
      '<tds:HardwareId>' +
      d.hardwareId +
      '</tds:HardwareId>' +
      '</tds:GetDeviceInformationResponse>',
  );
}

const base = (id: OnvifIdentity): string => `http://${id.host}:${id.onvifPort}`;

export function capabilities(id: OnvifIdentity): string {
  const b = base(id);
  return envelope(
    '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
      '<tt:Device><tt:XAddr>' +
      b +
      '/onvif/device_service</tt:XAddr>' +
      '<tt:Network><tt:IPFilter>true</tt:IPFilter><tt:ZeroConfiguration>true</tt:ZeroConfiguration>' +
      '<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>true</tt:DynDNS></tt:Network>' +
      '<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>true</tt:DiscoveryBye>' +
      '<tt:RemoteDiscovery>true</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>' +
      '<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>true</tt:FirmwareUpgrade>' +
      '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>20</tt:Minor></tt:SupportedVersions></tt:System>' +
      '<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>' +
      '<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig>' +
      '<tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>' +
      '<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security>' +
      '</tt:Device>' +
      '<tt:Events><tt:XAddr>' +
      b +
      '/onvif/Events</tt:XAddr><tt:WSSubscriptionPolicySupport>true</tt:WSSubscriptionPolicySupport>' +
      '<tt:WSPullPointSupport>true</tt:WSPullPointSupport>' +
      '<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>' +
      '<tt:Imaging><tt:XAddr>' +
      b +
      '/onvif/Imaging</tt:XAddr></tt:Imaging>' +
      '<tt:Media><tt:XAddr>' +
      b +
      '/onvif/media_service</tt:XAddr>' +
      '<tt:StreamingCapabilities><tt:RTPMulticast>true</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>' +
      '<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities>' +
      '<tt:Extension><tt:ProfileCapabilities><tt:MaximumNumberOfProfiles>10</tt:MaximumNumberOfProfiles>' +
      '</tt:ProfileCapabilities></tt:Extension></tt:Media>' +
      '</tds:Capabilities></tds:GetCapabilitiesResponse>',
  );
}

function service(ns: string, xaddr: string, caps: string): string {
  return (
    '<tds:Service><tds:Namespace>' +
    ns +
    '</tds:Namespace><tds:XAddr>' +
    xaddr +
    '</tds:XAddr>' +
    '<tds:Capabilities>' +
    caps +
    '</tds:Capabilities>' +
    '<tds:Version><tt:Major>2</tt:Major><tt:Minor>10</tt:Minor></tds:Version></tds:Service>'
  );
}

export function services(id: OnvifIdentity): string {
  const b = base(id);
  return envelope(
    '<tds:GetServicesResponse>' +
      service(
        'http://www.onvif.org/ver10/device/wsdl',
        b + '/onvif/device_service',
        '<tds:Capabilities><tds:Security UsernameToken="true" HttpDigest="false"></tds:Security>' +
          '<tds:System DiscoveryBye="true" RemoteDiscovery="true" FirmwareUpgrade="true"></tds:System></tds:Capabilities>',
      ) +
      service(
        'http://www.onvif.org/ver10/media/wsdl',
        b + '/onvif/media_service',
        '<trt:Capabilities SnapshotUri="true" Rotation="false" OSD="true">' +
          '<trt:ProfileCapabilities MaximumNumberOfProfiles="10"></trt:ProfileCapabilities>' +
          '<trt:StreamingCapabilities RTPMulticast="true" RTP_TCP="true" RTP_RTSP_TCP="true" NonAggregateControl="false">' +
          '</trt:StreamingCapabilities></trt:Capabilities>',
      ) +
      service(
        'http://www.onvif.org/ver10/events/wsdl',
        b + '/onvif/Events',
        '<tev:Capabilities WSSubscriptionPolicySupport="true" WSPullPointSupport="true" ' +
          'WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="10" MaxPullPoints="10"></tev:Capabilities>',
      ) +
      service('http://www.onvif.org/ver20/imaging/wsdl', b + '/onvif/Imaging', '<timg:Capabilities ImageStabilization="false"></timg:Capabilities>') +
      '</tds:GetServicesResponse>',
  );
}

/** Two profiles as on a Hikvision IPC: main stream (channel 101) and sub stream (102). */
export const PROFILES = [
  { token: 'Profile_1', name: 'mainStream', channel: 101, width: 1920, height: 1080, fps: 25, kbps: 4096 },
  { token: 'Profile_2', name: 'subStream', channel: 102, width: 640, height: 360, fps: 15, kbps: 512 },
] as const;

export function profiles(): string {
  let out = '<trt:GetProfilesResponse>';
  for (const p of PROFILES) {
    out +=
      '<trt:Profiles token="' +
      p.token +
      '" fixed="true"><tt:Name>' +
      p.name +
      '</tt:Name>' +
      '<tt:VideoSourceConfiguration token="VideoSourceToken"><tt:Name>VideoSourceConfig</tt:Name>' +
      '<tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_1</tt:SourceToken>' +
      '<tt:Bounds x="0" y="0" width="1920" height="1080"></tt:Bounds></tt:VideoSourceConfiguration>' +
      '<tt:VideoEncoderConfiguration token="VideoEncoderToken_' +
      p.token.slice(-1) +
      '">' +
      '<tt:Name>VideoEncoder_' +
      p.token.slice(-1) +
      '</tt:Name><tt:UseCount>1</tt:UseCount>' +
      '<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>' +
      p.width +
      '</tt:Width>' +
      '<tt:Height>' +
      p.height +
      '</tt:Height></tt:Resolution><tt:Quality>3.000000</tt:Quality>' +
      '<tt:RateControl><tt:FrameRateLimit>' +
      p.fps +
      '</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>' +
      '<tt:BitrateLimit>' +
      p.kbps +
      '</tt:BitrateLimit></tt:RateControl>' +
      '<tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>' +
      '<tt:SessionTimeout>PT5S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>';
  }
  return envelope(out + '</trt:GetProfilesResponse>');
}

function mediaUri(uri: string, timeout: string): string {
  return (
    '<trt:MediaUri><tt:Uri>' +
    uri +
    '</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>' +
    '<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>' +
    timeout +
    '</tt:Timeout></trt:MediaUri>'
  );
}

/** RTSP URL of a channel, without credentials (what AgentCamera.rtspUrl holds). */
export function rtspUrlOf(id: Pick<OnvifIdentity, 'host' | 'rtspPort'>, channel = 101): string {
  return `rtsp://${id.host}:${id.rtspPort}/Streaming/Channels/${channel}`;
}

/** GetStreamUri; like the capture it carries a query with an XML-escaped `&amp;`. */
export function streamUri(id: OnvifIdentity, profileToken: string): string | null {
  const p = PROFILES.find((x) => x.token === profileToken);
  if (!p) return null;
  const uri = rtspUrlOf(id, p.channel) + '?transportmode=unicast&amp;profile=' + p.token;
  return envelope('<trt:GetStreamUriResponse>' + mediaUri(uri, 'PT60S') + '</trt:GetStreamUriResponse>');
}

export const SNAPSHOT_PATH = '/onvif/snapshot';

export function snapshotUri(id: OnvifIdentity): string {
  return envelope('<trt:GetSnapshotUriResponse>' + mediaUri(base(id) + SNAPSHOT_PATH, 'PT0S') + '</trt:GetSnapshotUriResponse>');
}

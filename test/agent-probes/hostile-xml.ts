/**
 * Crafted 256 KB camera answers (the SOAP answer cap): the shapes that made the agent's regex
 * readers quadratic — many unclosed tags, tags that never reach `>`, long attribute runs, `<`
 * floods, deep nesting — for the blocking benchmark and the hostile camera.
 */
export const HOSTILE_BYTES = 256 * 1024 - 512; // under the cap with the HTTP head

const fill = (unit: string, pre = '', post = ''): string => pre + unit.repeat(Math.floor((HOSTILE_BYTES - pre.length - post.length) / unit.length)) + post;

export const CRAFTED_BODIES: Record<string, string> = {
  'unclosed UTCDateTime tags': fill('<UTCDateTime>'),
  'UTCDateTime tags never reaching >': fill('<UTCDateTime '),
  'unclosed Year tags inside a UTCDateTime': fill('<Year ', '<tt:UTCDateTime>', '</tt:UTCDateTime>'),
  'unclosed Fault tags': fill('<s:Fault>'),
  'Fault tags never reaching >': fill('<Fault '),
  'unclosed GetDeviceInformationResponse tags': fill('<GetDeviceInformationResponse>'),
  'Media tags never reaching >': fill('<Media '),
  'Profiles tags without a token': fill('<Profiles '),
  'Uri runs': fill('<Uri> '),
  'a < flood': fill('<'),
  'prefix runs': fill('<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
  'deep nesting': fill('<a>'),
  'a long attribute run': fill(' x="y"', '<tt:UTCDateTime', '>'),
  'many Values in a Fault': fill('<Value>', '<Fault>', '</Fault>'),
  'well-formed: many small elements': fill('<tt:Value>x</tt:Value>', '<s:Fault>', '</s:Fault>'),
  'well-formed: one long text': fill('x', '<tds:GetDeviceInformationResponse><tds:Manufacturer>', '</tds:Manufacturer></tds:GetDeviceInformationResponse>'),
  'well-formed: one long attribute value': fill('y', '<trt:Profiles token="', '"/>'),
  'a run of entities': fill('&amp;', '<tt:UTCDateTime><tt:Year>', '</tt:Year></tt:UTCDateTime>'),
  'a run of bare &': fill('&', '<tt:Uri>', ';</tt:Uri>'),
  'an unterminated comment': fill('-', '<!--'),
};

/** Every ONVIF operation a probe or a snapshot asks, answered with these bodies in turn. */
export const HOSTILE_SEQUENCE = Object.values(CRAFTED_BODIES);

/** The SOAP readers (over the bounded scanner of edge-agent/probes/xml-scan.ts) against real camera SOAP captures, and served over loopback HTTP. */
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onvifTime } from '../../edge-agent/probes/onvif-time.ts';
import { onvifAuth } from '../../edge-agent/probes/onvif-auth.ts';
import { firstProfileToken, isAuthFailure, mediaXAddr, parseDeviceInformation, parseSystemDateAndTime, snapshotUriOf, soapFaultCodes } from '../../edge-agent/probes/soap-parse.ts';
import { scanXml } from '../../edge-agent/probes/xml-scan.ts';
import { FIXTURES_DIR, infoFixture, notAuthorizedFixture, onvifFixture, timeFixture, VENDORS, type Vendor } from './fixtures.ts';

describe('every capture', () => {
  const files = VENDORS.flatMap((v) => readdirSync(`${FIXTURES_DIR}/onvif/${v}`).map((f) => [v, f] as const));
  it('there are captures to read', () => expect(files.length).toBeGreaterThanOrEqual(40));
  it.each(files)('%s/%s: well-formed for the scanner (no limit hit)', (v, f) => {
    expect(scanXml(onvifFixture(v, f)).children.length).toBeGreaterThan(0);
  });
});

describe('media service captures (snapshot source)', () => {
  const expected: Record<'axis' | 'hikvision' | 'pelco' | 'trendnet', [string, string, string]> = {
    axis: ['http://192.168.0.19/onvif/services', 'profile_1_h264', 'http://192.168.0.19/onvif-cgi/jpg/image.cgi?resolution=1280x720&compression=20'],
    hikvision: ['http://10.10.1.60/onvif/Media', 'Profile_1', 'http://10.10.1.60/onvif/snapshot'],
    pelco: ['http://10.10.1.66/onvif/media_service', '0', 'http://10.10.1.66/jpeg'],
    trendnet: ['http://10.10.1.67/onvif/Media', 'Profile_1', 'http://10.10.1.67/onvif-http/snapshot?Profile_2'],
  };
  it.each(Object.keys(expected) as Array<keyof typeof expected>)('%s: media XAddr, first profile token, snapshot URI (entities decoded)', (v) => {
    expect([
      mediaXAddr(onvifFixture(v, 'GetCapabilities.Response.xml')),
      firstProfileToken(onvifFixture(v, 'GetProfiles.Response.xml')),
      snapshotUriOf(onvifFixture(v, 'GetSnapshotUri.Response.xml')),
    ]).toEqual(expected[v]);
  });
  it('a fault or garbage has none of them', () => {
    for (const xml of [notAuthorizedFixture('axis'), '<x', '']) {
      expect([mediaXAddr(xml), firstProfileToken(xml), snapshotUriOf(xml)]).toEqual([undefined, undefined, undefined]);
    }
  });
});

const TIMES: Record<Vendor, string> = {
  axis: '2018-02-27T23:09:59.000Z',
  hikvision: '2018-02-27T18:28:01.000Z',
  pelco: '2018-02-27T18:10:11.000Z',
  trendnet: '', // filled from the file below
  milesight: '2024-07-09T19:49:06.000Z',
};

describe('GetSystemDateAndTime captures', () => {
  it.each(VENDORS.filter((v) => v !== 'trendnet'))('%s: UTCDateTime parsed exactly', (v) => {
    expect(new Date(parseSystemDateAndTime(timeFixture(v)) ?? 0).toISOString()).toBe(TIMES[v]);
  });

  it('trendnet: parsed and consistent with its LocalDateTime block being ignored', () => {
    const xml = timeFixture('trendnet');
    const t = parseSystemDateAndTime(xml);
    expect(t).not.toBeNull();
    const utc = /UTCDateTime>([\s\S]*?)<\/tt:UTCDateTime/.exec(xml)?.[1] ?? '';
    const hour = Number(/Hour>(\d+)</.exec(utc)?.[1]);
    expect(new Date(t ?? 0).getUTCHours()).toBe(hour);
  });

  it('pelco has no LocalDateTime, hikvision uses the env: prefix: both parse', () => {
    expect(timeFixture('pelco')).not.toMatch(/LocalDateTime/);
    expect(timeFixture('hikvision')).toMatch(/<env:Body>/);
    expect(parseSystemDateAndTime(timeFixture('pelco'))).toBe(Date.parse(TIMES.pelco));
    expect(parseSystemDateAndTime(timeFixture('hikvision'))).toBe(Date.parse(TIMES.hikvision));
  });

  it('garbage and partial answers give null', () => {
    expect(parseSystemDateAndTime('<x/>')).toBeNull();
    expect(parseSystemDateAndTime('<tt:UTCDateTime><tt:Time><tt:Hour>1</tt:Hour></tt:Time></tt:UTCDateTime>')).toBeNull();
    expect(parseSystemDateAndTime(timeFixture('axis').replace('<tt:Month>2<', '<tt:Month>13<'))).toBeNull();
  });
});

describe('GetDeviceInformation captures', () => {
  const expected: Record<Vendor, [string, string, string]> = {
    axis: ['AXIS', 'AXIS Q6045-E', '5.55.1.2'],
    hikvision: ['HIKVISION', 'DS-2DF7276-AEL', 'V5.1.6 build 140401'],
    pelco: ['Pelco', 'D6230L', '2.9.0.4.9340-A0.0'],
    trendnet: ['TRENDnet', 'TV-IP320PI', 'V5.3.4 build 160830'],
    milesight: ['Milesight Technology Co.,Ltd.', 'MS-C8165-PE', '61.8.0.3-r8'],
  };
  it.each(VENDORS)('%s: manufacturer, model, firmware as exact strings', (v) => {
    const info = parseDeviceInformation(infoFixture(v));
    expect(info && [info.manufacturer, info.model, info.firmwareVersion]).toEqual(expected[v]);
  });
  it('a fault is not device information', () => {
    expect(parseDeviceInformation(notAuthorizedFixture('trendnet'))).toBeNull();
  });
});

describe('SOAP faults', () => {
  it('trendnet GetDeviceInformation.Error and axis GetSystemUris.Error are NotAuthorized', () => {
    expect(soapFaultCodes(notAuthorizedFixture('trendnet'))).toEqual(['env:Sender', 'ter:NotAuthorized']);
    expect(soapFaultCodes(notAuthorizedFixture('axis'))).toEqual(['SOAP-ENV:Sender', 'ter:NotAuthorized']);
    for (const status of [400, 500]) {
      expect(isAuthFailure(status, notAuthorizedFixture('trendnet'))).toBe(true);
      expect(isAuthFailure(status, notAuthorizedFixture('axis'))).toBe(true);
    }
  });
  it('other faults are not auth failures; 401 always is', () => {
    for (const [v, f] of [
      ['axis', 'GetServices.Error.xml'],
      ['hikvision', 'GetServices.Error.xml'],
      ['trendnet', 'GetServices.Error.xml'],
      ['milesight', 'soap_fault.xml'],
    ] as const) {
      expect(isAuthFailure(500, onvifFixture(v, f))).toBe(false);
    }
    expect(soapFaultCodes(onvifFixture('milesight', 'soap_fault.xml'))).toEqual(['env:Sender', 'ter:InvalidArgVal', 'ter:NoProfile']);
    expect(isAuthFailure(401, '')).toBe(true);
    expect(isAuthFailure(200, notAuthorizedFixture('axis'))).toBe(false);
  });
});

describe('captures served over loopback HTTP', () => {
  let server: Server;
  let port = 0;
  /** path → [status, body] */
  const routes = new Map<string, [number, string]>();
  beforeAll(async () => {
    for (const v of VENDORS) {
      routes.set(`/${v}/time`, [200, timeFixture(v)]);
      routes.set(`/${v}/info`, [200, infoFixture(v)]);
    }
    routes.set('/trendnet/denied', [400, notAuthorizedFixture('trendnet')]);
    routes.set('/axis/denied', [500, notAuthorizedFixture('axis')]);
    routes.set('/axis/action-fault', [500, onvifFixture('axis', 'GetServices.Error.xml')]);
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const [status, body] = routes.get(req.url ?? '') ?? [404, ''];
        res.writeHead(status, { 'Content-Type': 'application/soap+xml' }).end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const cam = (path: string) => ({
    code: 'c1',
    host: '127.0.0.1',
    onvifPort: port,
    onvifPath: path,
    rtspPort: 1,
    rtspUrl: 'rtsp://127.0.0.1/x',
    username: 'admin',
    password: 'S3cret!pw',
    siteId: null,
  });

  it.each(VENDORS)('%s: onvif_time ok, offset = capture time − now', async (v) => {
    const before = Date.now();
    const r = await onvifTime('127.0.0.1', port, `/${v}/time`, 2000);
    const after = Date.now();
    const camUtc = parseSystemDateAndTime(timeFixture(v)) ?? NaN;
    expect(r.outcome).toBe('ok');
    expect(r.clockOffsetMs).toBeGreaterThanOrEqual(camUtc + 500 - after);
    expect(r.clockOffsetMs).toBeLessThanOrEqual(camUtc + 500 - before);
  });

  it.each(VENDORS)('%s: onvif_auth ok on its GetDeviceInformation answer', async (v) => {
    expect(await onvifAuth({ cam: cam(`/${v}/info`), timeoutMs: 2000, clockOffsetMs: 0 })).toEqual({ outcome: 'ok' });
  });

  it('NotAuthorized captures (HTTP 400 trendnet, 500 axis) → auth', async () => {
    const t = await onvifAuth({ cam: cam('/trendnet/denied'), timeoutMs: 2000, clockOffsetMs: 0 });
    const a = await onvifAuth({ cam: cam('/axis/denied'), timeoutMs: 2000, clockOffsetMs: 0 });
    expect(t).toEqual({ outcome: 'auth', detail: 'HTTP 400 ter:NotAuthorized' });
    expect(a).toEqual({ outcome: 'auth', detail: 'HTTP 500 ter:NotAuthorized' });
  });

  it('other faults → fail with the fault code; a NotAuthorized time answer still proves ONVIF up', async () => {
    expect(await onvifAuth({ cam: cam('/axis/action-fault'), timeoutMs: 2000, clockOffsetMs: 0 })).toEqual({ outcome: 'fail', detail: 'ter:Action' });
    const t = await onvifTime('127.0.0.1', port, '/axis/denied', 2000);
    expect(t.outcome).toBe('ok');
    expect(t.detail).toBe('time needs auth');
    expect(Math.abs(t.clockOffsetMs ?? Infinity)).toBeLessThan(2000); // from the HTTP Date header
    expect(await onvifTime('127.0.0.1', port, '/nowhere', 2000)).toEqual({ outcome: 'fail', detail: 'HTTP 404' });
  });
});

/**
 * Rung 2: ONVIF GetSystemDateAndTime, no credentials. Proves the ONVIF service answers
 * and measures the camera clock offset (camera UTC − agent clock at the request midpoint).
 * The camera reports whole seconds, so half a second is added to centre the estimate.
 * A camera that demands auth even for this call still proves ONVIF is up: the rung is ok,
 * and the offset falls back to the HTTP `Date` header (or null: absent, malformed, or outside
 * CAMERA_YEARS). A 200 whose time is malformed or impossible (year 0 or 9999, hour −1,
 * 31 February) is a fail naming what is wrong: a hostile date makes no NaN and no absurd offset.
 */
import type { Socket } from 'node:net';
import type { RungContext, RungProbe, RungReport } from './types.ts';
import { soapPost, SoapTransportError, type SoapResponse } from './soap-http.ts';
import { closeHard } from './socket-close.ts';
import { faultDetail, isAuthFailure, readHttpDate, readSystemDateAndTime } from './soap-parse.ts';

export const GET_SYSTEM_DATE_AND_TIME =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>' +
  '<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>' +
  '</s:Body></s:Envelope>';

const HALF_SECOND = 500;

/** Offset from one exchange: camera time (whole seconds) vs the midpoint of send/receive. */
export function clockOffsetFrom(cameraUtcMs: number, sentAt: number, receivedAt: number): number {
  return Math.round(cameraUtcMs + HALF_SECOND - (sentAt + receivedAt) / 2);
}

export function interpretTimeResponse(res: SoapResponse, sentAt: number, receivedAt: number): RungReport {
  if (res.status === 200) {
    const cam = readSystemDateAndTime(res.body);
    if (!('utcMs' in cam)) return { outcome: 'fail', detail: `bad GetSystemDateAndTime answer${cam.problem === undefined ? '' : `: ${cam.problem}`}` };
    return { outcome: 'ok', clockOffsetMs: clockOffsetFrom(cam.utcMs, sentAt, receivedAt) };
  }
  if (isAuthFailure(res.status, res.body)) {
    const date = readHttpDate(res.headers.date);
    return {
      outcome: 'ok',
      detail: 'time needs auth',
      clockOffsetMs: date === null ? null : clockOffsetFrom(date, sentAt, receivedAt),
    };
  }
  return { outcome: 'fail', detail: faultDetail(res.body) ?? `HTTP ${res.status}` };
}

export async function onvifTime(host: string, port: number, path: string, timeoutMs: number, socket?: Socket): Promise<RungReport> {
  const deadline = Date.now() + timeoutMs;
  let sentAt = Date.now();
  try {
    let res: SoapResponse;
    try {
      res = await soapPost({ host, port, path, body: GET_SYSTEM_DATE_AND_TIME, timeoutMs, socket, keepAlive: true, recordPeer: false });
    } catch (e) {
      // a handed-over connection the camera dropped meanwhile: one fresh connection
      if (!socket || !(e instanceof SoapTransportError) || e.kind !== 'fail' || deadline - Date.now() <= 0) throw e;
      sentAt = Date.now();
      res = await soapPost({ host, port, path, body: GET_SYSTEM_DATE_AND_TIME, timeoutMs: deadline - sentAt, keepAlive: true, recordPeer: false });
    }
    const report = interpretTimeResponse(res, sentAt, Date.now());
    // the kept connection goes on to the auth rung (GetDeviceInformation on the same connection)
    if (res.socket) {
      if (report.outcome === 'ok') report.socket = res.socket;
      else closeHard(res.socket);
    }
    return report;
  } catch (e) {
    if (e instanceof SoapTransportError) return { outcome: e.kind, detail: e.code };
    throw e;
  }
}

export const onvifTimeProbe: RungProbe = {
  rung: 'onvif_time',
  usesCredentials: false,
  run: (ctx: RungContext) => {
    const socket = ctx.socket; // take the tcp rung's connection: one connect less per ladder
    ctx.socket = undefined;
    return onvifTime(ctx.cam.host, ctx.cam.onvifPort, ctx.cam.onvifPath, ctx.timeoutMs, socket);
  },
};

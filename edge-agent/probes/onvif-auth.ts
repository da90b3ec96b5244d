/**
 * Rung 3: authenticated ONVIF GetDeviceInformation. WS-Security UsernameToken digest
 * with `Created` shifted by the measured camera clock offset; when the camera answers
 * HTTP 401 + WWW-Authenticate, one more request answers the challenge with HTTP Digest
 * (Basic only if that is all it offers and the camera is configured `httpAuth: 'basic'`, see
 * ./auth-choice.ts; else outcome 'auth' without sending anything). Refusal (HTTP 401, or 400/500 with a
 * NotAuthorized SOAP fault) → outcome 'auth': the caller backs off, never loops.
 */
import { authorizationHeader } from '../../src/protocol/digest-auth.ts';
import { makeUsernameToken, securityHeaderXml } from '../../src/protocol/ws-security.ts';
import { chooseChallenge } from './auth-choice.ts';
import type { RungContext, RungProbe, RungReport } from './types.ts';
import { soapPost, SoapTransportError, type SoapResponse } from './soap-http.ts';
import { faultDetail, isAuthFailure, readDeviceInformation } from './soap-parse.ts';
import { closeHard } from './socket-close.ts';

export function getDeviceInformationEnvelope(username: string, password: string, clockOffsetMs: number): string {
  const token = makeUsernameToken(username, password, clockOffsetMs);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
    `<s:Header>${securityHeaderXml(token)}</s:Header><s:Body>` +
    '<GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/>' +
    '</s:Body></s:Envelope>'
  );
}

function interpret(res: SoapResponse): RungReport {
  if (res.status === 200) {
    const info = readDeviceInformation(res.body);
    return 'info' in info ? { outcome: 'ok' } : { outcome: 'fail', detail: `bad GetDeviceInformation answer${info.problem === undefined ? '' : `: ${info.problem}`}` };
  }
  if (isAuthFailure(res.status, res.body)) return { outcome: 'auth', detail: `HTTP ${res.status} ${faultDetail(res.body) ?? 'unauthorized'}` };
  return { outcome: 'fail', detail: faultDetail(res.body) ?? `HTTP ${res.status}` };
}

export async function onvifAuth(ctx: RungContext): Promise<RungReport> {
  const { host, onvifPort: port, onvifPath: path, username, password } = ctx.cam;
  const deadline = Date.now() + ctx.timeoutMs;
  const offset = ctx.clockOffsetMs ?? 0;
  // the time rung's connection, if the camera kept it open (one connect less); fresh otherwise
  const kept = ctx.socket;
  ctx.socket = undefined;
  try {
    const body = getDeviceInformationEnvelope(username, password, offset);
    let first: SoapResponse;
    try {
      first = await soapPost({ host, port, path, body, timeoutMs: ctx.timeoutMs, socket: kept, keepAlive: true, recordPeer: false });
    } catch (e) {
      // the camera closed the kept connection meanwhile: one fresh connection
      if (!kept || !(e instanceof SoapTransportError) || e.kind !== 'fail' || deadline - Date.now() <= 0) throw e;
      first = await soapPost({ host, port, path, body, timeoutMs: deadline - Date.now(), keepAlive: true, recordPeer: false });
    }
    const choice = first.status === 401 ? chooseChallenge(first.headers['www-authenticate'], ctx.cam) : { none: true as const };
    if ('refused' in choice) {
      closeHard(first.socket);
      return { outcome: 'auth', detail: `HTTP 401: ${choice.refused}` };
    }
    if (!('challenge' in choice)) {
      closeHard(first.socket);
      return interpret(first);
    }
    const { challenge } = choice;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      closeHard(first.socket);
      return { outcome: 'timeout', detail: 'timeout' };
    }
    const second = await soapPost({
      host,
      port,
      path,
      socket: first.socket,
      body: getDeviceInformationEnvelope(username, password, offset),
      timeoutMs: remaining,
      authorization: authorizationHeader(challenge, { username, password }, 'POST', path),
      recordPeer: false,
    });
    return interpret(second);
  } catch (e) {
    if (e instanceof SoapTransportError) return { outcome: e.kind, detail: e.code };
    throw e;
  }
}

export const onvifAuthProbe: RungProbe = { rung: 'onvif_auth', usesCredentials: true, run: onvifAuth };

/**
 * Rung 4: RTSP over raw `node:net`. OPTIONS (often unauthenticated), then DESCRIBE; on a
 * 401 answer the challenge (Digest when offered; Basic only for a camera configured
 * `httpAuth: 'basic'`, ./auth-choice.ts — else 'auth', nothing sent; the digest uri carries no
 * user:pass) and DESCRIBE once more. Only a DESCRIBE 200 with an SDP body is 'ok':
 * OPTIONS alone gives false positives. A second 401 → 'auth' (never retried in a loop).
 * A DESCRIBE answered at the camera's session limit (453, 503 with Retry-After, vendor
 * wordings: ../rtsp-session-limit.ts) is 'ok' and busy: the camera is alive, its sessions taken.
 */
import { authorizationHeader, type Challenge } from '../../src/protocol/digest-auth.ts';
import { sessionLimitDetail } from '../rtsp-session-limit.ts';
import { chooseChallenge } from './auth-choice.ts';
import type { RungContext, RungProbe, RungReport } from './types.ts';
import { RtspConnection, RtspError, type RtspResponse } from './rtsp-wire.ts';

export const USER_AGENT = 'SharpEyesMonitor/0.1';

/** The request URL: no user:pass@ in it, ever (it also serves as the digest uri). */
export function rtspRequestUrl(rtspUrl: string): string {
  return rtspUrl.replace(/^(rtsp:\/\/)[^/@]*@/i, '$1');
}

function requestText(method: string, url: string, cseq: number, authorization?: string): string {
  let s = `${method} ${url} RTSP/1.0\r\nCSeq: ${cseq}\r\nUser-Agent: ${USER_AGENT}\r\n`;
  if (method === 'DESCRIBE') s += 'Accept: application/sdp\r\n';
  if (authorization !== undefined) s += `Authorization: ${authorization}\r\n`;
  return s + '\r\n';
}

/** A line that is exactly `v=0` (trailing blanks allowed): one linear pass over the (capped) body. */
export function hasSdp(body: string): boolean {
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    if (body.startsWith('v=0', start)) {
      let i = start + 3;
      while (i < end && (body[i] === ' ' || body[i] === '\t' || body[i] === '\r' || body[i] === '\f' || body[i] === '\v')) i++;
      if (i === end) return true;
    }
    start = end + 1;
  }
  return false;
}

function describeVerdict(res: RtspResponse, authenticated: boolean): RungReport | 'challenge' {
  if (res.status === 200) return hasSdp(res.body) ? { outcome: 'ok' } : { outcome: 'fail', detail: 'DESCRIBE 200 without SDP' };
  if (res.status === 401) return authenticated ? { outcome: 'auth', detail: 'RTSP 401' } : 'challenge';
  const busy = sessionLimitDetail(res, 'DESCRIBE');
  if (busy !== null) return { outcome: 'ok', busy: true, detail: busy };
  return { outcome: 'fail', detail: `RTSP ${res.status}` };
}

/** Digest when offered; Basic only for a camera configured for it (./auth-choice.ts): a refusal is 'auth', nothing sent. */
function pickChallenge(res: RtspResponse, cam: RungContext['cam']): Challenge | RungReport | undefined {
  const choice = chooseChallenge(res.headers.get('www-authenticate'), cam);
  if ('challenge' in choice) return choice.challenge;
  if ('refused' in choice) return { outcome: 'auth', detail: choice.refused };
  return undefined;
}

/** Connections of one rung run; once `over`, no new connection may open. */
interface RunState {
  conns: RtspConnection[];
  over: boolean;
}

async function openConn(st: RunState, host: string, port: number): Promise<RtspConnection> {
  // Stryker disable next-line StringLiteral: `over` is set only after the race settled, so this error is never read by anyone
  if (st.over) throw new RtspError('timeout', 'timeout');
  const conn = new RtspConnection(host, port);
  st.conns.push(conn);
  await conn.ready;
  return conn;
}

async function climb(ctx: RungContext, st: RunState): Promise<RungReport> {
  const { host, rtspPort, username, password } = ctx.cam;
  const url = rtspRequestUrl(ctx.cam.rtspUrl);
  let conn = await openConn(st, host, rtspPort);
  let cseq = 1;
  const options = await conn.request(requestText('OPTIONS', url, cseq++));
  // a camera that challenges OPTIONS already: answer that challenge in DESCRIBE directly
  const offered = options.status === 401 ? pickChallenge(options, ctx.cam) : undefined;
  if (offered !== undefined && 'outcome' in offered) return offered;
  let challenge: Challenge | undefined = offered;
  const auth = (c: Challenge): string => authorizationHeader(c, { username, password }, 'DESCRIBE', url);

  const reopenIfClosed = async (res: RtspResponse): Promise<void> => {
    if (!conn.isClosed && !/close/i.test(res.headers.get('connection')?.[0] ?? '')) return;
    conn.close();
    conn = await openConn(st, host, rtspPort);
  };

  if (challenge === undefined) {
    if (options.status === 401) return { outcome: 'auth', detail: 'RTSP 401 without challenge' };
    await reopenIfClosed(options);
    const first = await conn.request(requestText('DESCRIBE', url, cseq++));
    const verdict = describeVerdict(first, false);
    if (verdict !== 'challenge') return verdict;
    const asked = pickChallenge(first, ctx.cam);
    if (asked !== undefined && 'outcome' in asked) return asked;
    challenge = asked;
    if (challenge === undefined) return { outcome: 'auth', detail: 'RTSP 401 without challenge' };
    await reopenIfClosed(first);
  } else {
    await reopenIfClosed(options);
  }
  let second: RtspResponse;
  try {
    // Stryker disable next-line UpdateOperator: the request takes cseq's value before the update, and cseq is not read again
    second = await conn.request(requestText('DESCRIBE', url, cseq++, auth(challenge)));
  } catch (e) {
    // the peer hung up after its 401 without saying so: one fresh connection
    if (!(e instanceof RtspError) || e.code !== 'closed by peer') throw e;
    conn = await openConn(st, host, rtspPort);
    second = await conn.request(requestText('DESCRIBE', url, 1, auth(challenge)));
  }
  // Stryker disable next-line BooleanLiteral: unauthenticated, a 401 gives 'challenge', which the next line maps to the same { auth, 'RTSP 401' }
  const verdict = describeVerdict(second, true);
  // Stryker disable next-line ConditionalExpression,StringLiteral,ObjectLiteral: describeVerdict(…, true) never returns 'challenge'; the mapping gives what it returns for an authenticated 401
  return verdict === 'challenge' ? { outcome: 'auth', detail: 'RTSP 401' } : verdict;
}

export function probeRtsp(ctx: RungContext): Promise<RungReport> {
  const st: RunState = { conns: [], over: false };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<RungReport>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'timeout', detail: 'timeout' }), ctx.timeoutMs);
  });
  const work = climb(ctx, st).catch((e: unknown): RungReport => {
    if (e instanceof RtspError) return { outcome: e.kind, detail: e.code };
    throw e;
  });
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
    st.over = true;
    for (const c of st.conns) c.close();
  });
}

export const rtspProbe: RungProbe = { rung: 'rtsp', usesCredentials: true, run: probeRtsp };

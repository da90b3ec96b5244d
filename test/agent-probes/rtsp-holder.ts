/**
 * A viewer that holds one RTSP session of a camera (DESCRIBE, SETUP interleaved, PLAY) until
 * released: what an NVR does to the camera's few sessions. Uses the agent's wire reader and
 * Digest code; the RTP it receives is dropped.
 */
import { authorizationHeader, parseChallenges, type Challenge } from '../../src/protocol/digest-auth.ts';
import { RtspConnection, type RtspResponse } from '../../edge-agent/probes/rtsp-wire.ts';

export interface HeldSession {
  /** the statuses of DESCRIBE, SETUP, PLAY as answered */
  statuses: number[];
  /** TEARDOWN (answer awaited up to 1 s), then the connection closed */
  release(): Promise<void>;
}

export async function holdSession(url: string, username: string, password: string, transport = 'RTP/AVP/TCP;unicast;interleaved=0-1'): Promise<HeldSession> {
  const u = new URL(url);
  const conn = new RtspConnection(u.hostname, Number(u.port));
  await conn.ready;
  let cseq = 1;
  let challenge: Challenge | undefined;
  let session: string | undefined;
  const statuses: number[] = [];
  const ask = async (method: string, uri: string, headers: string[]): Promise<RtspResponse> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      let s = `${method} ${uri} RTSP/1.0\r\nCSeq: ${cseq++}\r\n`;
      for (const h of headers) s += `${h}\r\n`;
      if (session) s += `Session: ${session}\r\n`;
      if (challenge) s += `Authorization: ${authorizationHeader(challenge, { username, password }, method, uri)}\r\n`;
      const res = await conn.request(`${s}\r\n`);
      if (res.status !== 401 || challenge) return res;
      challenge = parseChallenges(res.headers.get('www-authenticate'))[0];
    }
    throw new Error(`${method}: 401`);
  };
  const d = await ask('DESCRIBE', url, ['Accept: application/sdp']);
  statuses.push(d.status);
  const base = d.headers.get('content-base')?.[0] ?? `${url}/`;
  const control = /a=control:(\S+)/.exec(d.body.split('m=video')[1] ?? '')?.[1] ?? 'stream=0';
  const track = control.startsWith('rtsp://') ? control : base.endsWith('/') ? base + control : `${base}/${control}`;
  const s = await ask('SETUP', track, [`Transport: ${transport}`]);
  statuses.push(s.status);
  session = s.headers.get('session')?.[0]?.split(';')[0];
  if (s.status === 200) statuses.push((await ask('PLAY', url, ['Range: npt=0.000-'])).status);
  const release = async (): Promise<void> => {
    if (session !== undefined && !conn.isClosed) {
      const bye = ask('TEARDOWN', url, []).catch(() => undefined);
      await Promise.race([bye, new Promise((r) => setTimeout(r, 1000))]);
    }
    conn.close();
  };
  return { statuses, release };
}

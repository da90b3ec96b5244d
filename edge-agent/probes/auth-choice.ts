/**
 * Which challenge of a camera's `WWW-Authenticate` answer the agent answers (HTTP for ONVIF and
 * snapshots, RTSP alike). Digest when offered; Basic — the password in clear, to whoever asks —
 * only for a camera configured `httpAuth: 'basic'`. Header values are camera-controlled: at
 * most MAX_CHALLENGE_VALUES values of at most MAX_CHALLENGE_CHARS characters each are read (a
 * longer one is no real camera's: skipped, not cut, so a nonce is never truncated).
 */
import { parseChallenges, type Challenge } from '../../src/protocol/digest-auth.ts';
import type { AgentCamera } from '../../src/protocol/assignment.ts';

export const MAX_CHALLENGE_CHARS = 2048;
export const MAX_CHALLENGE_VALUES = 8;

/** what to do with a 401: answer `challenge`; or refuse (`refused` says why, never credentials); or nothing to answer */
export type ChallengeChoice = { challenge: Challenge } | { refused: string } | { none: true };

export const BASIC_REFUSED = 'camera offers only Basic auth, not enabled for this camera (httpAuth: basic)';

export function chooseChallenge(header: string | readonly string[] | undefined, cam: Pick<AgentCamera, 'httpAuth'>): ChallengeChoice {
  if (header === undefined) return { none: true };
  const values = (typeof header === 'string' ? [header] : header).slice(0, MAX_CHALLENGE_VALUES).filter((v) => v.length <= MAX_CHALLENGE_CHARS);
  const challenges = parseChallenges(values); // Digest first
  const digest = challenges.find((c) => c.scheme === 'digest');
  if (digest) return { challenge: digest };
  const basic = challenges.find((c) => c.scheme === 'basic');
  if (!basic) return { none: true };
  return cam.httpAuth === 'basic' ? { challenge: basic } : { refused: BASIC_REFUSED };
}

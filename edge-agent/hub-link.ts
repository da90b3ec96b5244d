/**
 * HTTP client for the two hub endpoints the agent calls:
 *   POST {hub}/api/agent/reports     ReportBatch → ReportAck
 *   GET  {hub}/api/agent/assignment  → AgentAssignment
 * node:http / node:https with a keep-alive agent, a hard deadline per request, and a
 * bounded response size. An https:// hub is checked as ./hub-tls.ts says (pinned CA and/or
 * certificate fingerprint); a refused certificate fails the request: the reporter spools. The token is only ever put in the Authorization header.
 * What the hub answers is validated with the protocol schemas (src/protocol/).
 * Retry pacing (back-off) belongs to the callers: the reporter and the assignment poller.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { type AgentAssignment, checkAssignment } from '../src/protocol/assignment.ts';
import { type ReportAck, ReportAckSchema, type ReportBatch } from '../src/protocol/probe-result.ts';
import { checker, ProtocolError } from '../src/protocol/validate.ts';
import type { Logger } from '../src/log.ts';
import { hubHttpsAgent, type HubTlsConfig } from './hub-tls.ts';

const checkAck = checker(ReportAckSchema, 'report ack');

export type SendOutcome =
  /** `ackProblem`: the hub took the batch (2xx) but its acknowledgement was malformed (`ack` is then made up) */
  | { kind: 'ok'; ack: ReportAck; ackProblem?: string }
  /** the hub refused this batch whole (4xx): it will never accept it — the reporter dead-letters it */
  | { kind: 'rejected'; status: number; detail: string }
  /** hub away, 5xx, timeout, or our token refused (`auth`: 401/403): keep the batch, retry later */
  | { kind: 'retry'; status?: number; detail: string; auth?: true };

export interface BatchSender {
  sendBatch(batch: ReportBatch): Promise<SendOutcome>;
  /** abort every request in flight (they resolve as `retry`) */
  abort(): void;
}

export interface HubLinkOptions {
  hubUrl: string;
  token: string;
  /** hard deadline of one request, default 10 s */
  timeoutMs?: number;
  /** largest response body accepted, default 64 MiB (an assignment of a big town) */
  maxResponseBytes?: number;
  /** what an https:// hub must prove (--hub-ca, --hub-fingerprint) */
  tls?: HubTlsConfig;
  /** where a refused hub certificate is logged */
  log?: Logger;
}

/**
 * 4xx statuses that say nothing about the batch itself: our token (401/403), the hub's
 * rate limit (429) or a request timeout (408). Dropping batches for them would throw away
 * data until an operator fixes a token, so they are retried like a 5xx.
 */
const RETRYABLE_4XX = new Set([401, 403, 408, 429]);

export class HttpError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`hub answered HTTP ${status}: ${detail}`);
  }
}

interface RawResponse {
  status: number;
  body: string;
}

export class HubLink implements BatchSender {
  private readonly base: URL;
  private readonly mod: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly inFlight = new Set<http.ClientRequest>();

  constructor(private readonly opts: HubLinkOptions) {
    this.base = new URL(opts.hubUrl.endsWith('/') ? opts.hubUrl : opts.hubUrl + '/');
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new Error('hub URL must be http(s)');
    this.mod = this.base.protocol === 'https:' ? https : http;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.agent =
      this.base.protocol === 'https:'
        ? hubHttpsAgent(opts.tls, { keepAlive: true, maxSockets: 4, handshakeTimeoutMs: this.timeoutMs, ...(opts.log ? { log: opts.log } : {}) })
        : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.maxBytes = opts.maxResponseBytes ?? 64 * 1024 * 1024;
  }

  async sendBatch(batch: ReportBatch): Promise<SendOutcome> {
    let res: RawResponse;
    try {
      res = await this.request('POST', 'api/agent/reports', JSON.stringify(batch));
    } catch (err) {
      return { kind: 'retry', detail: errText(err) };
    }
    if (res.status >= 200 && res.status < 300) {
      try {
        return { kind: 'ok', ack: checkAck(parseJson(res.body, 'report ack')) };
      } catch (err) {
        // the hub took it (2xx) but the body is odd: do not resend a processed batch
        return { kind: 'ok', ack: { seq: batch.seq, duplicate: false, accepted: batch.items.length, refused: [] }, ackProblem: (err as Error).message };
      }
    }
    const detail = res.body.slice(0, 300);
    if (res.status >= 400 && res.status < 500 && !RETRYABLE_4XX.has(res.status)) return { kind: 'rejected', status: res.status, detail };
    if (res.status === 401 || res.status === 403) return { kind: 'retry', status: res.status, detail, auth: true };
    return { kind: 'retry', status: res.status, detail };
  }

  /** The agent's assignment, validated: a malformed one throws a ProtocolError naming the problem. */
  async fetchAssignment(): Promise<AgentAssignment> {
    const res = await this.request('GET', 'api/agent/assignment');
    if (res.status !== 200) throw new HttpError(res.status, res.body.slice(0, 300));
    return checkAssignment(parseJson(res.body, 'assignment'));
  }

  abort(): void {
    for (const req of this.inFlight) req.destroy(new Error('aborted'));
  }

  close(): void {
    this.abort();
    this.agent.destroy();
  }

  private request(method: 'GET' | 'POST', rel: string, body?: string): Promise<RawResponse> {
    const url = new URL(rel, this.base);
    const payload = body === undefined ? undefined : Buffer.from(body);
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise<RawResponse>((resolve, reject) => {
      const req = this.mod.request(url, { method, headers, agent: this.agent });
      this.inFlight.add(req);
      const deadline = setTimeout(() => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)), this.timeoutMs);
      const done = (err: Error | null, res?: RawResponse) => {
        clearTimeout(deadline);
        this.inFlight.delete(req);
        if (err) reject(err);
        else resolve(res!);
      };
      req.on('error', (err) => done(err));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxBytes) req.destroy(new Error(`response over ${this.maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on('error', (err) => done(err));
        res.on('close', () => {
          if (!res.complete) done(new Error('response aborted'));
        });
        res.on('end', () => done(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(payload);
    });
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(`${what}: not JSON`);
  }
}

function errText(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}

/**
 * The agent's transport to the hub, one rule for every connection it makes there (reports,
 * assignment and dead-letter replay in ./hub-link.ts; the command channel's WebSocket in
 * ./command-channel.ts):
 * - a plain `http://` hub is refused unless it is on loopback or the operator said
 *   `--insecure-http` (`checkHubTransport`, at configuration time: nothing is sent);
 * - `--hub-ca <file>`: the hub's certificate must chain to these CAs (the system store is
 *   not used) and name the hub's host;
 * - `--hub-fingerprint sha256:<hex>[,sha256:<hex>…]`: the hub's leaf certificate must have one
 *   of these SHA-256 fingerprints, checked on the TLS socket right after the handshake and
 *   before any byte of a request (so before the token) is written. Alone it is the whole
 *   trust (a self-signed hub certificate: no chain or host name check); with `--hub-ca`
 *   both must hold.
 * A refused hub is an error of the request (the reporter keeps the batch, spooled, and
 * retries; the command channel reconnects with back-off); each distinct mismatch is logged.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { createLogger, type Logger } from '../src/log.ts';
import { isLoopbackHost } from '../src/protocol/loopback.ts';

export interface HubTlsConfig {
  /** PEM text of the CA certificate(s) the hub's certificate must chain to (--hub-ca) */
  ca?: string;
  /** where `ca` came from (log lines) */
  caFile?: string;
  /** SHA-256 fingerprints of the hub's leaf certificate, 64 lower-case hex digits each (--hub-fingerprint) */
  fingerprints?: string[];
}

export class HubTransportError extends Error {}

/** The hub refused by the pin: a certificate whose fingerprint was not pinned. */
export class HubPinError extends Error {
  constructor(readonly fingerprint: string) {
    super(`hub certificate sha256:${fingerprint} matches no pinned fingerprint (--hub-fingerprint): refused`);
    this.name = 'HubPinError';
  }
}

/**
 * The configuration-time rule: http:// only on loopback or with `--insecure-http`; pins only
 * with https://. Throws HubTransportError with the fix in its message.
 */
export function checkHubTransport(hubUrl: string, o: { insecureHttp?: boolean; tls?: HubTlsConfig }): void {
  let url: URL;
  try {
    url = new URL(hubUrl);
  } catch {
    throw new HubTransportError(`hub must be an http(s) URL, got "${hubUrl}"`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') throw new HubTransportError(`hub must be an http(s) URL, got "${hubUrl}"`);
  if (o.tls?.ca !== undefined || (o.tls?.fingerprints?.length ?? 0) > 0) {
    throw new HubTransportError('--hub-ca and --hub-fingerprint need an https:// hub');
  }
  if (!isLoopbackHost(url.hostname) && !o.insecureHttp) {
    throw new HubTransportError(
      `refusing plain http:// to ${url.host}: the agent token and every camera password would cross the network in clear. ` +
        'Serve the hub over HTTPS (TLS_CERT/TLS_KEY) and use https://, or start the agent with --insecure-http to accept the risk',
    );
  }
}

/** `sha256:AB:CD:…`, `sha256:abcd…` or bare hex → 64 lower-case hex digits. */
export function parseFingerprint(s: string): string {
  const hex = s
    .trim()
    .replace(/^sha256:/i, '')
    .replace(/:/g, '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new HubTransportError(`hub fingerprint must be sha256:<64 hex digits> (colons allowed), got "${s}"`);
  return hex;
}

/** A comma-separated list of fingerprints (two during a certificate rotation). */
export function parseFingerprints(s: string): string[] {
  return s
    .split(',')
    .filter((p) => p.trim() !== '')
    .map(parseFingerprint);
}

/** The PEM of --hub-ca, checked to hold at least one certificate. */
export function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new HubTransportError(`--hub-ca ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new HubTransportError(`--hub-ca ${file}: not a PEM certificate`);
  }
  return pem;
}

/** The SHA-256 fingerprint of a PEM certificate, as `parseFingerprint` gives it (the demo pins its own hub). */
export function certificateFingerprint(pem: string | Buffer): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
}

export interface HubAgentOptions {
  keepAlive?: boolean;
  maxSockets?: number;
  /** the TLS handshake must finish within this, default 10 s */
  handshakeTimeoutMs?: number;
  log?: Logger;
}

/**
 * An https.Agent that applies the pins: it hands a socket to the HTTP client (or to ws for
 * the WebSocket upgrade) only once the handshake is done and the certificate checked, so a
 * refused hub never sees a request line, let alone the Authorization header.
 */
class HubHttpsAgent extends https.Agent {
  private readonly refusedSeen = new Set<string>();

  constructor(
    private readonly cfg: HubTlsConfig,
    private readonly o: HubAgentOptions,
  ) {
    super({ keepAlive: o.keepAlive ?? false, ...(o.maxSockets ? { maxSockets: o.maxSockets } : {}) });
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const pins = this.cfg.fingerprints ?? [];
    const pinOnly = pins.length > 0 && this.cfg.ca === undefined;
    const socket = tls.connect({
      ...(options as tls.ConnectionOptions),
      ...(this.cfg.ca !== undefined ? { ca: this.cfg.ca } : {}),
      // a fingerprint alone is the whole trust (self-signed hub): chain and name are not asked
      rejectUnauthorized: !pinOnly,
      session: undefined,
    });
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('error', finish);
      if (err) {
        socket.destroy();
        callback?.(err, socket);
      } else callback?.(null, socket);
    };
    const timer = setTimeout(() => finish(new Error(`TLS handshake with the hub not done after ${this.o.handshakeTimeoutMs ?? 10_000} ms`)), this.o.handshakeTimeoutMs ?? 10_000);
    socket.once('error', finish);
    socket.once('secureConnect', () => {
      if (pins.length > 0) {
        const fp = socket.getPeerCertificate().fingerprint256?.replace(/:/g, '').toLowerCase() ?? '';
        if (!pins.includes(fp)) {
          const err = new HubPinError(fp);
          if (!this.refusedSeen.has(fp) && this.refusedSeen.size < 100) {
            this.refusedSeen.add(fp);
            this.log().error(
              { hub: `${options.host ?? options.hostname}:${options.port}`, fingerprint: `sha256:${fp}`, pinned: pins.map((p) => `sha256:${p}`) },
              'hub certificate does not match the pinned fingerprint: connection refused before any request (reports stay spooled)',
            );
          }
          finish(err);
          return;
        }
      }
      finish(null);
    });
    return undefined;
  }

  private logger: Logger | null = null;
  private log(): Logger {
    this.logger ??= this.o.log ?? createLogger('agent');
    return this.logger;
  }
}

/** The https.Agent for the hub: pins applied when given, Node's defaults otherwise. */
export function hubHttpsAgent(cfg: HubTlsConfig | undefined, o: HubAgentOptions = {}): https.Agent {
  if (!cfg || (cfg.ca === undefined && (cfg.fingerprints?.length ?? 0) === 0)) {
    return new https.Agent({ keepAlive: o.keepAlive ?? false, ...(o.maxSockets ? { maxSockets: o.maxSockets } : {}) });
  }
  return new HubHttpsAgent(cfg, o);
}

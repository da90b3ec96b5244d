/**
 * The one logger (pino, JSON lines). Credentials never reach a log line:
 * - a field whose name ends in password, secret, token, authorization or cookie is redacted,
 *   at any depth and inside arrays (assignment bodies carry camera lists);
 * - every string passes through `redactUrlCredentials`: URL userinfo
 *   (rtsp://user:pass@host → rtsp://***@host, up to the last "@", so a password holding "@",
 *   ":" or "/" leaves nothing behind) and Authorization header values (Basic, Digest, Bearer);
 * - a child logger's bound fields get the same treatment (`createLogger` wraps `child`);
 * - objects nested deeper than MAX_DEPTH are cut, never written unscrubbed.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * A URL-ish token: a scheme of at most 16 characters (the bound keeps the scan linear on
 * hostile text), "://", then everything to a blank or a quote. Its userinfo is everything up
 * to the token's last "@".
 */
const URL_TOKEN = /([a-z][a-z0-9+.-]{0,15}:\/\/)([^\s'"<>]*)/gi;
/** an Authorization header inside a text (an RTSP request, a debug dump): its value to the line's end */
const AUTH_HEADER = /((?:proxy-)?authorization:[ \t]*)(basic|digest|bearer)\b[^\r\n]*/gi;
/** field names whose values are secrets, at any depth */
const SECRET_KEY = /(password|passwd|passwordenc|secret|token|authorization|cookie)$/i;
const MAX_DEPTH = 8;

/** Replace `scheme://user:pass@` with `scheme://***@`, and Authorization header values, anywhere in a string. */
export function redactUrlCredentials(s: string): string {
  return s
    .replace(URL_TOKEN, (whole, scheme: string, rest: string) => {
      const at = rest.lastIndexOf('@');
      return at < 0 ? whole : `${scheme}***${rest.slice(at)}`;
    })
    .replace(AUTH_HEADER, '$1$2 [redacted]');
}

export function loggerOptions(name: string): LoggerOptions {
  return {
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    hooks: {
      // strings in messages are scrubbed of URL credentials
      logMethod(args, method) {
        const scrubbed: unknown[] = args.map((a) => (typeof a === 'string' ? redactUrlCredentials(a) : a));
        // pino takes an Error's message as msg after this hook: scrub it here
        const first = scrubbed[0];
        if (first instanceof Error) {
          scrubbed[0] = { error: scrubObject(first) };
          if (typeof scrubbed[1] !== 'string') scrubbed.splice(1, 0, redactUrlCredentials(first.message));
        } else if ((first as { err?: unknown } | null)?.err instanceof Error && typeof scrubbed[1] !== 'string') {
          // `log.info({ err })` without a message: pino would take err.message as msg unscrubbed
          scrubbed.splice(1, 0, redactUrlCredentials((first as { err: Error }).err.message));
        }
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    formatters: {
      log(obj) {
        return scrubObject(obj) as Record<string, unknown>;
      },
    },
  };
}

function scrubObject(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactUrlCredentials(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (v instanceof Error)
    return { type: v.name, code: (v as NodeJS.ErrnoException).code, message: redactUrlCredentials(v.message), stack: v.stack && redactUrlCredentials(v.stack) };
  if (Array.isArray(v)) return v.map((x) => scrubObject(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) && x != null && typeof x !== 'boolean' ? '[redacted]' : scrubObject(x, depth + 1);
  return out;
}

/** A logger for a component; `destination` lets tests capture every line. */
export function createLogger(name: string, destination?: NodeJS.WritableStream): Logger {
  const logger = destination ? pino(loggerOptions(name), destination) : pino(loggerOptions(name));
  // a child's bound fields are serialised once, past every formatter (pino resets the bindings
  // formatter for children): scrub them on the way in. Children inherit this `child`.
  const pinoChild = logger.child;
  logger.child = function child(this: Logger, bindings, options) {
    return pinoChild.call(this, scrubObject(bindings) as typeof bindings, options);
  } as Logger['child'];
  return logger;
}

export type { Logger };

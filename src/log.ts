/**
 * The one logger (pino, JSON lines). Credentials never reach a log line:
 * known secret fields are redacted by path, and every string passes through
 * `redactUrlCredentials` (rtsp://user:pass@host → rtsp://***@host).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'passwordEnc',
  '*.passwordEnc',
];

const URL_CRED = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]*@/gi;

/** Replace `scheme://user:pass@` with `scheme://***@` anywhere in a string. */
export function redactUrlCredentials(s: string): string {
  return s.replace(URL_CRED, '$1***@');
}

export function loggerOptions(name: string): LoggerOptions {
  return {
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      // strings in messages and bindings are scrubbed of URL credentials
      logMethod(args, method) {
        const scrubbed: unknown[] = args.map((a) => (typeof a === 'string' ? redactUrlCredentials(a) : a));
        // pino takes an Error's message as msg after this hook: scrub it here
        if (scrubbed[0] instanceof Error) {
          const err = scrubbed[0];
          scrubbed[0] = { error: scrubObject(err) };
          if (typeof scrubbed[1] !== 'string') scrubbed.splice(1, 0, redactUrlCredentials(err.message));
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
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (v instanceof Error)
    return { type: v.name, code: (v as NodeJS.ErrnoException).code, message: redactUrlCredentials(v.message), stack: v.stack && redactUrlCredentials(v.stack) };
  if (Array.isArray(v)) return v.map((x) => scrubObject(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = scrubObject(x, depth + 1);
  return out;
}

/** A logger for a component; `destination` lets tests capture every line. */
export function createLogger(name: string, destination?: NodeJS.WritableStream): Logger {
  return destination ? pino(loggerOptions(name), destination) : pino(loggerOptions(name));
}

export type { Logger };

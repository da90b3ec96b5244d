/**
 * Rule: no camera password, agent token or webhook secret reaches a log line, in any shape the
 * code meets — URL userinfo (raw and percent-encoded), Basic and Digest authorization headers,
 * assignment bodies with camera lists, Error messages and stacks, ffmpeg's stderr.
 * Every line the real logger writes is captured and searched for the secret in every encoding.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrlCredentials } from '../../src/log.ts';

const PASSWORD = 'Cam3ra!pw';
const TOKEN = 'agent-tok-7f3a9c';
const SECRET = 'SECdingtalk42';

/** every form in which the secrets could leak */
const FORMS = [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`admin:${PASSWORD}`).toString('base64'), TOKEN, SECRET];

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const log = createLogger('test', sink);
  log.level = 'trace';
  return { log, lines };
}

function leaks(lines: string[]): string[] {
  return lines.filter((l) => FORMS.some((f) => l.includes(f)));
}

describe('log redaction (src/log.ts)', () => {
  it('URL userinfo in messages, fields, nested fields and arrays: raw and percent-encoded', () => {
    const { log, lines } = capture();
    const url = `rtsp://admin:${PASSWORD}@10.1.2.3:554/Streaming/Channels/101`;
    const enc = `rtsp://admin:${encodeURIComponent(PASSWORD)}@10.1.2.3:554/h264`;
    log.info(`probing ${url}`);
    log.info({ url }, 'probe');
    log.warn({ camera: { code: 'c01', rtsp: enc } }, 'grab failed for %s', enc);
    log.info({ urls: [url, enc] }, 'many');
    log.info({ a: { b: { c: { d: { e: url } } } } }, 'deep');
    expect(lines).toHaveLength(5);
    expect(leaks(lines)).toEqual([]);
    // the host stays readable: only the userinfo goes
    expect(lines[0]).toContain('rtsp://***@10.1.2.3:554/Streaming/Channels/101');
  });

  it('a password containing "@", ":" or "/" in a raw URL leaves no part of it behind', () => {
    for (const pw of ['p@ss:w/rd', 'a@b@c', 'x:y@z']) {
      const out = redactUrlCredentials(`rtsp://admin:${pw}@10.0.0.9/ch1 and http://u:${pw}@h/x`);
      expect(out).toBe('rtsp://***@10.0.0.9/ch1 and http://***@h/x');
    }
  });

  it('password, token, secret and authorization fields at any depth, in arrays (an assignment body)', () => {
    const { log, lines } = capture();
    const assignment = {
      agent: 'agent-a',
      cameras: [
        { code: 'c01', host: '10.1.2.3', username: 'admin', password: PASSWORD },
        { code: 'c02', host: '10.1.2.4', username: 'admin', password: PASSWORD, onvif: { password: PASSWORD } },
      ],
    };
    log.info({ assignment }, 'assignment received');
    log.info({ body: { data: { assignment } } }, 'deeper');
    log.info({ token: TOKEN, hubToken: TOKEN, webhook: { name: 'dd', secret: SECRET } }, 'config');
    log.info({ cameraPassword: PASSWORD, passwordEnc: 'v1:abc' }, 'named');
    expect(lines).toHaveLength(4);
    expect(leaks(lines)).toEqual([]);
    expect(lines[0]).toContain('"code":"c01"');
    expect(lines[0]).toContain('[redacted]');
  });

  it('Basic and Digest authorization headers, as a field and inside a message', () => {
    const { log, lines } = capture();
    const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
    const digest = `Digest username="admin", realm="IP Camera", nonce="abc", uri="/onvif", response="0123abcd", password="${PASSWORD}"`;
    log.info({ req: { headers: { authorization: basic } } }, 'request');
    log.info({ headers: { Authorization: digest } }, 'request');
    log.debug(`sent Authorization: ${basic}`);
    log.debug(`RTSP/1.0 DESCRIBE\r\nAuthorization: ${digest}\r\nCSeq: 2`);
    expect(lines).toHaveLength(4);
    expect(leaks(lines)).toEqual([]);
    expect(lines.join('\n')).not.toContain('0123abcd');
  });

  it('Errors: message and stack, logged bare or as err', () => {
    const { log, lines } = capture();
    const e = new Error(`connect ECONNREFUSED rtsp://admin:${PASSWORD}@10.1.2.3:554/`);
    log.warn(e);
    log.warn({ err: e }, 'probe failed');
    log.error({ error: e, cause: { code: 'E_AUTH', token: TOKEN } }, 'boom');
    expect(lines).toHaveLength(3);
    expect(leaks(lines)).toEqual([]);
    expect(lines[0]).toContain('ECONNREFUSED');
  });

  it("ffmpeg's stderr as the agent logs it", () => {
    const { log, lines } = capture();
    const stderr = [
      `[rtsp @ 0x55d0c1a2b3c0] method DESCRIBE failed: 401 Unauthorized`,
      `rtsp://admin:${encodeURIComponent(PASSWORD)}@10.1.2.3:554/Streaming/Channels/101: Server returned 401 Unauthorized (authorization failed)`,
      `Input #0, rtsp, from 'rtsp://admin:${PASSWORD}@10.1.2.3:554/Streaming/Channels/101':`,
    ].join('\n');
    log.warn({ camera: 'c01', stderr }, 'frame grab failed');
    log.warn(`ffmpeg said: ${stderr}`);
    expect(leaks(lines)).toEqual([]);
    expect(lines[0]).toContain('401 Unauthorized');
  });
});

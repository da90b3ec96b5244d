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

/** the lines the real logger writes, parsed */
function captureJson() {
  const { log, lines } = capture();
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** `depth` levels of `{ n: … }` or `[ … ]` around `leaf` */
const nestObj = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { n: nestObj(depth - 1, leaf) });
const nestArr = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : [nestArr(depth - 1, leaf)]);

describe('redactUrlCredentials: exact rewrites', () => {
  it('a URL without userinfo, or a "@" after the URL ends, is left exactly as it was', () => {
    for (const s of [
      'http://10.0.0.1/onvif/device_service',
      'rtsp://10.1.2.3:554/Streaming/Channels/101?transport=tcp',
      'see http://h/x then mail ops@county.example',
      'no url here: a@b',
    ]) {
      expect(redactUrlCredentials(s)).toBe(s);
    }
  });

  it('userinfo is everything before the last "@" of the URL, even when empty', () => {
    expect(redactUrlCredentials('rtsp://admin:pw@10.0.0.9:554/ch1?x=1')).toBe('rtsp://***@10.0.0.9:554/ch1?x=1');
    expect(redactUrlCredentials('rtsp://@10.0.0.9/ch1')).toBe('rtsp://***@10.0.0.9/ch1');
    expect(redactUrlCredentials('RTSP://Admin:PW@CAM/ch1')).toBe('RTSP://***@CAM/ch1');
  });

  it('a URL ends at a blank, a quote or an angle bracket', () => {
    expect(redactUrlCredentials(`from 'rtsp://a:${PASSWORD}@h/x': 401`)).toBe(`from 'rtsp://***@h/x': 401`);
    expect(redactUrlCredentials(`<http://u:${PASSWORD}@h/>"rtsp://u:${PASSWORD}@h2"`)).toBe('<http://***@h/>"rtsp://***@h2"');
  });

  it('any scheme is covered, also one with digits or a single letter (h323://, x://)', () => {
    expect(redactUrlCredentials('h323://alice:pw@gk.example;transport=tcp')).toBe('h323://***@gk.example;transport=tcp');
    expect(redactUrlCredentials('x://u:pw@h')).toBe('x://***@h');
    expect(redactUrlCredentials('svc+ssh://u:pw@h/repo')).toBe('svc+ssh://***@h/repo');
  });

  it('an Authorization header value is replaced by "[redacted]", keeping the scheme and the rest of the text', () => {
    expect(redactUrlCredentials('Authorization: Basic YWRtaW46cHc=')).toBe('Authorization: Basic [redacted]');
    expect(redactUrlCredentials('Authorization:Basic YWRtaW46cHc=')).toBe('Authorization:Basic [redacted]');
    expect(redactUrlCredentials('authorization: \t Digest username="admin", response="abc"')).toBe('authorization: \t Digest [redacted]');
    expect(redactUrlCredentials('Proxy-Authorization: Bearer tok123')).toBe('Proxy-Authorization: Bearer [redacted]');
    expect(redactUrlCredentials('DESCRIBE rtsp://h/ RTSP/1.0\r\nAuthorization: Basic YWRtaW46cHc=\r\nCSeq: 2\r\n')).toBe(
      'DESCRIBE rtsp://h/ RTSP/1.0\r\nAuthorization: Basic [redacted]\r\nCSeq: 2\r\n',
    );
  });
});

describe('log lines: shapes are kept, secrets are not', () => {
  it('a child logger bound with a token or password writes "[redacted]" for it', () => {
    const { log, json } = captureJson();
    log.child({ token: TOKEN, agent: { id: 'a1', password: PASSWORD } }).info('bound');
    const [line] = json();
    expect(line?.token).toBe('[redacted]');
    expect(line?.agent).toEqual({ id: 'a1', password: '[redacted]' });
    expect(line?.msg).toBe('bound');
  });

  it('a child logger bound with a URL holding userinfo writes it scrubbed', () => {
    const { log, json } = captureJson();
    log.child({ url: `rtsp://admin:${PASSWORD}@10.0.0.9/Streaming/Channels/101` }).info('bound url');
    const [line] = json();
    expect(line?.url).toBe('rtsp://***@10.0.0.9/Streaming/Channels/101');
  });

  it('an Error logged as { err } with a message keeps that message; a null or string first argument is logged as pino logs it', () => {
    const { log, json } = captureJson();
    log.info({ err: new Error('inner') }, 'outer %s', 'x');
    log.info(null, 'after null');
    log.info('just text');
    expect(json().map((l) => l.msg)).toEqual(['outer x', 'after null', 'just text']);
  });

  it('an Error logged as { err } without a message: msg is its scrubbed message', () => {
    const { log, lines, json } = captureJson();
    log.info({ err: new Error(`connect failed rtsp://admin:${PASSWORD}@h/`) });
    expect(leaks(lines)).toEqual([]);
    expect(json()[0]?.msg).toBe('connect failed rtsp://***@h/');
  });

  it('a secret-named field with a value is written as "[redacted]" at any depth; fields that only start with such a word are kept', () => {
    const { log, json } = captureJson();
    log.info({ webhook: { name: 'dd', secret: SECRET, pin: { passwd: 1234 } }, tokenExpiresAt: 1_700_000_000, passwordChangedAt: 5, secretName: 'dd-robot' }, 'cfg');
    const [line] = json();
    expect(line?.webhook).toEqual({ name: 'dd', secret: '[redacted]', pin: { passwd: '[redacted]' } });
    expect(line?.tokenExpiresAt).toBe(1_700_000_000);
    expect(line?.passwordChangedAt).toBe(5);
    expect(line?.secretName).toBe('dd-robot');
  });

  it('a secret-named field that is empty (null) or a flag (true/false) is shown, so an operator sees whether one is set', () => {
    const { log, json } = captureJson();
    log.info({ webhook: { secret: null, signingSecret: false }, sessionCookie: true }, 'flags');
    const [line] = json();
    expect(line?.webhook).toEqual({ secret: null, signingSecret: false });
    expect(line?.sessionCookie).toBe(true);
  });

  it('numbers, booleans, null and arrays keep their JSON type', () => {
    const { log, json } = captureJson();
    log.info({ attempt: 3, ok: true, next: null, urls: [`rtsp://admin:${PASSWORD}@h/1`, 'rtsp://h/2', 7] }, 'types');
    const [line] = json();
    expect(line?.attempt).toBe(3);
    expect(line?.ok).toBe(true);
    expect(line?.next).toBeNull();
    expect(line?.urls).toEqual(['rtsp://***@h/1', 'rtsp://h/2', 7]);
  });

  it('objects and arrays nested deeper than eight levels are cut to "[too deep]", never written unscrubbed', () => {
    const { log, json } = captureJson();
    log.info({ ...(nestObj(10, { password: PASSWORD }) as object) }, 'objects');
    log.info({ arr: nestArr(10, 'x') }, 'arrays');
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    log.info({ c: circular }, 'circular');
    const [objects, arrays, circ] = json();
    // the outer n is at depth 1: eight objects are kept, the ninth is cut
    expect(objects?.n).toEqual(nestObj(8, '[too deep]'));
    // arr is depth 1: eight arrays are kept, the ninth is cut
    expect(arrays?.arr).toEqual(nestArr(8, '[too deep]'));
    let c = circ?.c as Record<string, unknown>;
    for (let d = 1; d < 9; d++) {
      expect(c.a).toBe(1);
      c = c.self as Record<string, unknown>;
    }
    expect(c).toBe('[too deep]');
  });

  it('a bare Error: msg is its scrubbed message, and error holds its type, code, scrubbed message and stack', () => {
    const { log, json } = captureJson();
    const e = Object.assign(new Error(`connect ECONNREFUSED rtsp://admin:${PASSWORD}@10.1.2.3:554/`), { code: 'ECONNREFUSED' });
    e.name = 'ProbeError';
    log.warn(e);
    const [line] = json();
    expect(line?.msg).toBe('connect ECONNREFUSED rtsp://***@10.1.2.3:554/');
    const error = line?.error as Record<string, unknown>;
    expect(error.type).toBe('ProbeError');
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).toBe('connect ECONNREFUSED rtsp://***@10.1.2.3:554/');
    expect(String(error.stack).split('\n')[0]).toBe('ProbeError: connect ECONNREFUSED rtsp://***@10.1.2.3:554/');
  });

  it('an Error with its own message: that message (formatted) is msg', () => {
    const { log, json } = captureJson();
    log.error(new Error(`boom rtsp://a:${PASSWORD}@h/`), 'probe %s failed', 'c01');
    const [line] = json();
    expect(line?.msg).toBe('probe c01 failed');
    expect(line?.error).toMatchObject({ type: 'Error', message: 'boom rtsp://***@h/' });
  });

  it('an Error in a field keeps its shape; one without a stack has none', () => {
    const { log, json } = captureJson();
    const e = new Error(`ECONNRESET http://u:${PASSWORD}@h/`);
    e.stack = undefined;
    log.warn({ error: e, camera: 'c01' }, 'no stack');
    const [line] = json();
    expect(line?.error).toEqual({ type: 'Error', message: 'ECONNRESET http://***@h/' });
    expect(line?.camera).toBe('c01');
  });
});

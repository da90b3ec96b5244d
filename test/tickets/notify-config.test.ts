/** config/notify.yaml is optional; a bad one names file, line and field. Robot message formats. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TICKET_RULES, type Ticket } from '../../src/core/tickets/model.ts';
import { loadNotifyConfig } from '../../src/notify/config.ts';
import { robotAccepted, signedDingTalkUrl, webhookBody, type NotifyPayload } from '../../src/notify/formats.ts';

const dir = (yaml?: string) => {
  const d = mkdtempSync(join(tmpdir(), 'se-notify-'));
  if (yaml !== undefined) writeFileSync(join(d, 'notify.yaml'), yaml);
  return d;
};

describe('notify.yaml', () => {
  it('missing → defaults: 24 h SLA, no webhooks', () => {
    const c = loadNotifyConfig(dir());
    expect(c.rules).toEqual(DEFAULT_TICKET_RULES);
    expect(c.rules.slaMs).toBe(24 * 3600_000);
    expect(c.webhooks).toEqual([]);
  });

  it('reads targets and timings', () => {
    const c = loadNotifyConfig(dir(`sla_hours: 8\nwebhooks:\n  - { name: wx, url: "http://127.0.0.1:1/x?key=k", format: wecom, towns: [ta], events: [opened] }\n`));
    expect(c.rules.slaMs).toBe(8 * 3600_000);
    expect(c.webhooks).toEqual([{ name: 'wx', url: 'http://127.0.0.1:1/x?key=k', format: 'wecom', towns: ['ta'], events: ['opened'], secret: null }]);
  });

  it('invalid → an error naming file, line and field', () => {
    const d = dir(`sla_hours: -1\nwebhooks:\n  - name: a\n    url: ftp://nope\n    format: telex\n`);
    let message = '';
    try {
      loadNotifyConfig(d);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/3 problems/);
    expect(message).toMatch(/notify\.yaml:1 \[sla_hours\]: must be a number/);
    expect(message).toMatch(/notify\.yaml:4 \[webhooks\.0\.url\]: must be an http/);
    expect(message).toMatch(/notify\.yaml:5 \[webhooks\.0\.format\]: "telex" must be one of json, wecom, dingtalk/);
  });
});

describe('robot formats', () => {
  const ticket = {
    id: 7,
    kind: 'site',
    siteId: 's8',
    townId: 'ta',
    gridId: 'ga1',
    cameras: [{ code: 'c01' }, { code: 'c02' }],
    fault: 'unreachable',
    category: 'line_power',
    unstable: false,
    openedAt: 0,
    slaDueAt: 86_400_000,
    crews: ['crew-a'],
    resolvedAt: null,
    repairMs: null,
    cause: null,
  } as unknown as Ticket;
  const p: NotifyPayload = { eventId: '7-1-opened', event: 'opened', at: 0, ticket };

  it('WeCom and DingTalk markdown; generic JSON is the event itself', () => {
    const wx = webhookBody('wecom', p) as { msgtype: string; markdown: { content: string } };
    expect(wx.msgtype).toBe('markdown');
    expect(wx.markdown.content).toContain('新工单 #7');
    expect(wx.markdown.content).toContain('站点 s8 整体故障，2 路');
    const dd = webhookBody('dingtalk', p) as { markdown: { title: string; text: string } };
    expect(dd.markdown.title).toBe('新工单 #7');
    expect(webhookBody('json', p)).toBe(p);
  });

  it('robots say no with errcode; DingTalk signing adds timestamp and sign', () => {
    expect(robotAccepted('wecom', 200, '{"errcode":93000,"errmsg":"invalid webhook url"}')).toBe(false);
    expect(robotAccepted('dingtalk', 200, '{"errcode":0}')).toBe(true);
    expect(robotAccepted('json', 204, '')).toBe(true);
    const u = new URL(signedDingTalkUrl('https://oapi.dingtalk.com/robot/send?access_token=x', 'SEC', 1700000000000));
    expect(u.searchParams.get('timestamp')).toBe('1700000000000');
    // rule: sign = base64(HMAC-SHA256(key = secret, "timestamp\nsecret")), URL-encoded (DingTalk's 加签).
    // Oracle computed outside this code: printf '1700000000000\nSEC' | openssl dgst -sha256 -hmac SEC -binary | base64
    expect(u.searchParams.get('sign')).toBe('r+2we0q01lkZqz38LA5IPNbHN81U1leRf3Au4PSQb6Q=');
    // on the wire "+", "/" and "=" are percent-encoded, as DingTalk requires
    expect(u.search).toContain('sign=r%2B2we0q01lkZqz38LA5IPNbHN81U1leRf3Au4PSQb6Q%3D');
    expect(u.searchParams.get('access_token')).toBe('x');
  });
});

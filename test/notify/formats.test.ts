/**
 * Rules of the robot messages a crew reads in WeCom (企业微信) and DingTalk (钉钉), of the
 * generic JSON body, and of how a robot's answer is judged. Expected texts are written out by
 * hand: county time is UTC+8, durations are whole minutes, at most ten camera codes are listed.
 */
import { describe, expect, it } from 'vitest';
import type { Ticket, TicketCamera } from '../../src/core/tickets/model.ts';
import { markdownText, robotAccepted, webhookBody, type NotifyPayload } from '../../src/notify/formats.ts';
import { openTicket, ticketCameraOf } from '../support/ticket-fixture.ts';

/** 2026-03-05 01:30 UTC = 09:30 county time */
const OPENED = Date.UTC(2026, 2, 5, 1, 30);
/** 2026-03-06 01:30 UTC = 09:30 county time the next day */
const DUE = OPENED + 24 * 3600_000;

const cam = (code: string): TicketCamera => ticketCameraOf(code, OPENED, 'onvif_down');

function ticket(over: Partial<Ticket> = {}): Ticket {
  return openTicket(OPENED, { id: 42, cameras: [cam('c01')], fault: 'onvif_down', category: 'device', slaDueAt: DUE, crews: ['crew-a', 'crew-b'], ...over });
}

const payload = (event: NotifyPayload['event'], over: Partial<Ticket> = {}, at = OPENED): NotifyPayload => ({ eventId: `42-1-${event}`, event, at, ticket: ticket(over) });
const lines = (p: NotifyPayload) => markdownText(p).text.split('\n');

describe('robot markdown (markdownText)', () => {
  it('a new camera ticket reads: title, category, fault, town and grid, camera, opening and due time in county time, crews', () => {
    const m = markdownText(payload('opened'));
    expect(m.title).toBe('新工单 #42');
    expect(m.text).toBe(
      [
        '### 新工单 #42',
        '> 类别：设备',
        '> 故障：ONVIF 无响应',
        '> 镇街：ta　网格：ga1',
        '> 摄像机：c01',
        '> 开单：2026-03-05 09:30　时限：2026-03-06 09:30',
        '> 责任班组：crew-a、crew-b',
      ].join('\n'),
    );
  });

  it('times are county time (UTC+8) whatever the clock: 23:59 UTC is 07:59 the next day', () => {
    const open = Date.UTC(2026, 11, 31, 23, 59, 59);
    const due = Date.UTC(2027, 0, 1, 16, 0);
    expect(lines(payload('opened', { openedAt: open, slaDueAt: due }))[5]).toBe('> 开单：2027-01-01 07:59　时限：2027-01-02 00:00');
  });

  it('each event has its own title', () => {
    expect(markdownText(payload('opened')).title).toBe('新工单 #42');
    expect(markdownText(payload('reopened')).title).toBe('工单重开 #42');
    expect(markdownText(payload('sla_breached')).title).toBe('工单超时 #42');
    expect(markdownText(payload('resolved')).title).toBe('工单已恢复 #42');
    expect(lines(payload('reopened'))[0]).toBe('### 工单重开 #42');
  });

  it('an unstable ticket is marked in the heading, not in the title', () => {
    const m = markdownText(payload('reopened', { unstable: true }));
    expect(m.title).toBe('工单重开 #42');
    expect(m.text.split('\n')[0]).toBe('### 工单重开 #42（不稳定）');
  });

  it('a site ticket names the site and how many cameras went down with it; a camera ticket does not', () => {
    const site = payload('opened', { kind: 'site', siteId: 's8', category: 'line_power', fault: 'unreachable', cameras: [cam('c01'), cam('c02'), cam('c03')] });
    expect(lines(site)[1]).toBe('> 类别：线路/供电（站点 s8 整体故障，3 路）');
    expect(lines(payload('opened', { category: 'configuration' }))[1]).toBe('> 类别：配置');
  });

  it('every fault class has its Chinese label; an unknown one is shown as is; none means a worker report', () => {
    const fault = (f: string | null) => lines(payload('opened', { fault: f as Ticket['fault'] }))[2];
    expect(fault('unreachable')).toBe('> 故障：网络不可达（供电/光纤/光猫）');
    expect(fault('onvif_down')).toBe('> 故障：ONVIF 无响应');
    expect(fault('auth_failed')).toBe('> 故障：认证失败（密码/配置）');
    expect(fault('stream_down')).toBe('> 故障：视频流异常');
    expect(fault('no_frame')).toBe('> 故障：无画面');
    expect(fault('overheated')).toBe('> 故障：overheated');
    expect(fault(null)).toBe('> 故障：现场上报');
  });

  it('at most ten camera codes are listed, then "等 N 路" with the full count', () => {
    const cams = (n: number) => Array.from({ length: n }, (_, i) => cam(`c${String(i + 1).padStart(2, '0')}`));
    const first10 = 'c01、c02、c03、c04、c05、c06、c07、c08、c09、c10';
    expect(lines(payload('opened', { cameras: cams(2) }))[4]).toBe('> 摄像机：c01、c02');
    expect(lines(payload('opened', { cameras: cams(10) }))[4]).toBe(`> 摄像机：${first10}`);
    expect(lines(payload('opened', { cameras: cams(11) }))[4]).toBe(`> 摄像机：${first10} 等 11 路`);
    expect(lines(payload('opened', { cameras: cams(25) }))[4]).toBe(`> 摄像机：${first10} 等 25 路`);
  });

  it('a resolved ticket says when it came back, how long the repair took and the cause', () => {
    const resolvedAt = OPENED + 3 * 3600_000; // 12:30 county time
    const m = lines(payload('resolved', { state: 'resolved', resolvedAt, repairMs: 125 * 60_000, cause: 'power' }, resolvedAt + 5000));
    expect(m).toHaveLength(8);
    expect(m[6]).toBe('> 恢复：2026-03-05 12:30，修复用时 2 小时 5 分钟，原因：供电');
    expect(m[7]).toBe('> 责任班组：crew-a、crew-b');
  });

  it('repair time: whole minutes (rounded) under an hour, hours and minutes from 60 minutes on', () => {
    const repair = (ms: number | null) => lines(payload('resolved', { resolvedAt: OPENED, repairMs: ms }))[6];
    expect(repair(0)).toBe('> 恢复：2026-03-05 09:30，修复用时 0 分钟');
    expect(repair(null)).toBe('> 恢复：2026-03-05 09:30，修复用时 0 分钟');
    expect(repair(89_999)).toBe('> 恢复：2026-03-05 09:30，修复用时 1 分钟');
    expect(repair(90_000)).toBe('> 恢复：2026-03-05 09:30，修复用时 2 分钟');
    expect(repair(59 * 60_000)).toBe('> 恢复：2026-03-05 09:30，修复用时 59 分钟');
    expect(repair(59.5 * 60_000)).toBe('> 恢复：2026-03-05 09:30，修复用时 1 小时 0 分钟');
    expect(repair(60 * 60_000)).toBe('> 恢复：2026-03-05 09:30，修复用时 1 小时 0 分钟');
    expect(repair((26 * 60 + 59) * 60_000)).toBe('> 恢复：2026-03-05 09:30，修复用时 26 小时 59 分钟');
  });

  it('a resolved ticket without a recorded resolution time uses the event time', () => {
    const at = OPENED + 45 * 60_000; // 10:15 county time
    expect(lines(payload('resolved', { resolvedAt: null, repairMs: 45 * 60_000 }, at))[6]).toBe('> 恢复：2026-03-05 10:15，修复用时 45 分钟');
  });

  it('every closing cause has its label', () => {
    const cause = (c: Ticket['cause']) => lines(payload('resolved', { resolvedAt: OPENED, repairMs: 60_000, cause: c }))[6];
    expect(cause('camera_aged')).toBe('> 恢复：2026-03-05 09:30，修复用时 1 分钟，原因：设备老化');
    expect(cause('configuration')).toBe('> 恢复：2026-03-05 09:30，修复用时 1 分钟，原因：配置/密码');
  });

  it('only the SLA breach carries the warning line; only resolution carries the recovery line', () => {
    const breach = lines(payload('sla_breached'));
    expect(breach).toHaveLength(8);
    expect(breach[6]).toBe('> <font color="warning">已超过处理时限</font>');
    for (const e of ['opened', 'reopened', 'resolved'] as const) expect(markdownText(payload(e, { resolvedAt: OPENED })).text).not.toContain('已超过处理时限');
    for (const e of ['opened', 'reopened', 'sla_breached'] as const) expect(markdownText(payload(e, { resolvedAt: OPENED })).text).not.toContain('恢复');
    expect(lines(payload('opened'))).toHaveLength(7);
  });

  it('a ticket without crews has no crew line', () => {
    const m = lines(payload('opened', { crews: [] }));
    expect(m).toHaveLength(6);
    expect(m.join('\n')).not.toContain('责任班组');
    expect(lines(payload('opened', { crews: ['solo'] }))[6]).toBe('> 责任班组：solo');
  });
});

describe('webhook bodies (webhookBody)', () => {
  const p = payload('opened');
  const { title, text } = markdownText(p);

  it('WeCom gets {msgtype: markdown, markdown: {content}}', () => {
    expect(webhookBody('wecom', p)).toEqual({ msgtype: 'markdown', markdown: { content: text } });
  });

  it('DingTalk gets {msgtype: markdown, markdown: {title, text}}', () => {
    expect(webhookBody('dingtalk', p)).toEqual({ msgtype: 'markdown', markdown: { title, text } });
    expect(title).toBe('新工单 #42');
  });

  it('the generic JSON body is the event itself, with its idempotency key', () => {
    const body = webhookBody('json', p) as NotifyPayload;
    expect(body).toBe(p);
    expect(body.eventId).toBe('42-1-opened');
  });
});

describe('robot answers (robotAccepted)', () => {
  it('anything outside 2xx is a failure, for every format', () => {
    for (const f of ['json', 'wecom', 'dingtalk'] as const) {
      for (const s of [0, 199, 300, 302, 404, 500, 503]) expect(robotAccepted(f, s, '{"errcode":0}'), `${f} ${s}`).toBe(false);
      for (const s of [200, 201, 299]) expect(robotAccepted(f, s, '{"errcode":0}'), `${f} ${s}`).toBe(true);
    }
  });

  it('a generic receiver is accepted on any 2xx, whatever its body', () => {
    expect(robotAccepted('json', 200, 'not json')).toBe(true);
    expect(robotAccepted('json', 204, '')).toBe(true);
    expect(robotAccepted('json', 200, '{"errcode":1}')).toBe(true);
  });

  it('WeCom and DingTalk: errcode 0 or absent is accepted, a non-zero errcode is refused', () => {
    for (const f of ['wecom', 'dingtalk'] as const) {
      expect(robotAccepted(f, 200, '{"errcode":0,"errmsg":"ok"}')).toBe(true);
      expect(robotAccepted(f, 200, '{}')).toBe(true);
      expect(robotAccepted(f, 200, '{"errcode":310000,"errmsg":"sign not match"}')).toBe(false);
      expect(robotAccepted(f, 200, '{"errcode":-1}')).toBe(false);
    }
  });

  it('WeCom and DingTalk: a body that is not JSON is refused', () => {
    for (const f of ['wecom', 'dingtalk'] as const) {
      expect(robotAccepted(f, 200, '')).toBe(false);
      expect(robotAccepted(f, 200, '<html>gateway</html>')).toBe(false);
    }
  });
});

/**
 * Webhook bodies: a generic JSON event, and the WeCom (企业微信) and DingTalk (钉钉)
 * group-robot markdown messages. Tickets never carry camera credentials.
 */
import { createHmac } from 'node:crypto';
import { CATEGORY_LABELS, CAUSE_LABELS, type NotifyEvent, type Ticket } from '../core/tickets/model.ts';
import type { WebhookFormat } from './config.ts';

export interface NotifyPayload {
  /** `<ticket>-<rev>-<type>`: the receiver's idempotency key (also the X-Event-Id header) */
  eventId: string;
  event: NotifyEvent;
  at: number;
  ticket: Ticket;
}

const EVENT_TITLE: Record<NotifyEvent, string> = {
  opened: '新工单',
  reopened: '工单重开',
  sla_breached: '工单超时',
  resolved: '工单已恢复',
};

const FAULT_LABEL: Record<string, string> = {
  unreachable: '网络不可达（供电/光纤/光猫）',
  onvif_down: 'ONVIF 无响应',
  auth_failed: '认证失败（密码/配置）',
  stream_down: '视频流异常',
  no_frame: '无画面',
};

function fmtTime(ms: number): string {
  // county time (UTC+8), no dependence on the server's zone
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

function fmtDuration(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 60 ? `${m} 分钟` : `${Math.floor(m / 60)} 小时 ${m % 60} 分钟`;
}

export function markdownText(p: NotifyPayload): { title: string; text: string } {
  const t = p.ticket;
  const title = `${EVENT_TITLE[p.event]} #${t.id}`;
  const lines = [
    `### ${title}${t.unstable ? '（不稳定）' : ''}`,
    `> 类别：${CATEGORY_LABELS[t.category]}${t.kind === 'site' ? `（站点 ${t.siteId} 整体故障，${t.cameras.length} 路）` : ''}`,
    `> 故障：${t.fault ? (FAULT_LABEL[t.fault] ?? t.fault) : '现场上报'}`,
    `> 镇街：${t.townId}　网格：${t.gridId}`,
    `> 摄像机：${t.cameras
      .slice(0, 10)
      .map((c) => c.code)
      .join('、')}${t.cameras.length > 10 ? ` 等 ${t.cameras.length} 路` : ''}`,
    `> 开单：${fmtTime(t.openedAt)}　时限：${fmtTime(t.slaDueAt)}`,
  ];
  if (p.event === 'resolved') {
    lines.push(`> 恢复：${fmtTime(t.resolvedAt ?? p.at)}，修复用时 ${fmtDuration(t.repairMs ?? 0)}${t.cause ? `，原因：${CAUSE_LABELS[t.cause]}` : ''}`);
  }
  if (p.event === 'sla_breached') lines.push(`> <font color="warning">已超过处理时限</font>`);
  if (t.crews.length) lines.push(`> 责任班组：${t.crews.join('、')}`);
  return { title, text: lines.join('\n') };
}

/** The HTTP body for a target format. */
export function webhookBody(format: WebhookFormat, p: NotifyPayload): unknown {
  if (format === 'json') return p;
  const { title, text } = markdownText(p);
  if (format === 'wecom') return { msgtype: 'markdown', markdown: { content: text } };
  return { msgtype: 'markdown', markdown: { title, text } };
}

/** DingTalk 加签: timestamp + HMAC-SHA256 over "timestamp\nsecret", appended to the URL. */
export function signedDingTalkUrl(url: string, secret: string, now: number): string {
  const sign = createHmac('sha256', secret).update(`${now}\n${secret}`).digest('base64');
  const u = new URL(url);
  u.searchParams.set('timestamp', String(now));
  u.searchParams.set('sign', sign);
  return u.toString();
}

/** WeCom and DingTalk answer HTTP 200 with {errcode: non-zero} on failure. */
export function robotAccepted(format: WebhookFormat, status: number, body: string): boolean {
  if (status < 200 || status >= 300) return false;
  if (format === 'json') return true;
  try {
    const j = JSON.parse(body) as { errcode?: number };
    return j.errcode === undefined || j.errcode === 0;
  } catch {
    return false;
  }
}

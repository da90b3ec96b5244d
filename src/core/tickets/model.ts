/**
 * Ticket vocabulary: what a fault ticket is, its lifecycle, the causes a crew
 * may close it with, and the knobs of the rules. No I/O.
 */
import type { FaultClass, ProbeResult } from '../../protocol/probe-result.ts';
import type { CameraMeta } from '../model.ts';

export const TICKET_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

/** Where a ticket is routed: line/power crew, device repair, configuration. */
export const CATEGORIES = ['line_power', 'device', 'configuration'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Causes a crew closes a ticket with. */
export const CAUSES = ['camera_aged', 'cabling_aged', 'fibre_modem', 'power', 'configuration', 'other'] as const;
export type Cause = (typeof CAUSES)[number];

export const CAUSE_LABELS: Record<Cause, string> = {
  camera_aged: '设备老化',
  cabling_aged: '线路老化',
  fibre_modem: '光猫故障',
  power: '供电',
  configuration: '配置/密码',
  other: '其他',
};

export const CATEGORY_LABELS: Record<Category, string> = {
  line_power: '线路/供电',
  device: '设备',
  configuration: '配置',
};

export type TicketKind = 'camera' | 'site';
export type TicketSource = 'monitor' | 'worker';

export interface TicketCamera {
  code: string;
  gridId: string;
  fault: FaultClass | null;
  /** offline since (the last success before the failure) */
  offlineSince: number;
  /** when the camera really came back (transition `since`); null while down */
  backSince: number | null;
  /** hub time the online transition was decided; hold-down counts from here */
  backAt: number | null;
  /** hub time of the newest successful probe after backAt */
  lastOkAt: number | null;
  /** back and held for the hold-down period */
  verified: boolean;
}

/** A camera a new ticket is opened for (or waiting for one): down since, its fault, and whether it is back already. */
export interface DownCamera {
  since: number;
  fault: FaultClass | null;
  backAt: number | null;
  backSince: number | null;
}

/** A camera's entry on a ticket, down since `since`, not back yet. */
export function ticketCamera(meta: CameraMeta, since: number, fault: FaultClass | null): TicketCamera {
  return { code: meta.code, gridId: meta.gridId, fault, offlineSince: since, backSince: null, backAt: null, lastOkAt: null, verified: false };
}

export interface Evidence {
  camera: string;
  at: number;
  fault: FaultClass | null;
  rungs: ProbeResult['rungs'];
}

export interface Ticket {
  id: number;
  /** bumps on every change; (id, rev) names an event for idempotent delivery */
  rev: number;
  kind: TicketKind;
  source: TicketSource;
  siteId: string | null;
  townId: string;
  gridId: string;
  cameras: TicketCamera[];
  /** the ladder's fault class (most common among the cameras) */
  fault: FaultClass | null;
  category: Category;
  state: TicketState;
  /** the camera(s) went down again during the ticket's life */
  unstable: boolean;
  flaps: number;
  openedAt: number;
  slaDueAt: number;
  slaBreached: boolean;
  /** crew users responsible for the town (routing) */
  crews: string[];
  assignee: string | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  /** a crew said it is fixed; the ticket closes on verified recovery */
  cause: Cause | null;
  fixReportedAt: number | null;
  fixReportedBy: string | null;
  /** auto-resolve on verified recovery (always for monitor tickets) */
  autoClose: boolean;
  resolvedAt: number | null;
  /** 'monitor' (verified closure) or the user who closed it */
  resolvedBy: string | null;
  /** offline → back online, ms (time to repair) */
  repairMs: number | null;
  reopenCount: number;
  reopenedAt: number | null;
  /** a worker's comment when source = worker */
  report: { by: string; comment: string } | null;
  evidence: Evidence[];
  updatedAt: number;
}

export const EVENT_TYPES = [
  'opened',
  'reopened',
  'camera_added',
  'camera_back',
  'camera_down_again',
  'unstable',
  'acknowledged',
  'assigned',
  'commented',
  'fix_reported',
  'resolved',
  'sla_breached',
] as const;
export type TicketEventType = (typeof EVENT_TYPES)[number];

/** Events that are pushed to webhooks. */
export const NOTIFY_EVENTS = ['opened', 'reopened', 'sla_breached', 'resolved'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export interface TicketEvent {
  ticketId: number;
  /** ticket revision this event produced */
  rev: number;
  type: TicketEventType;
  at: number;
  actor: string;
  data: Record<string, unknown>;
}

export interface TicketRules {
  /** wait this long after a site camera fails to see whether its neighbours fail too */
  groupWaitMs: number;
  /** this many cameras of one site failing within the wait → one parent ticket */
  siteMinCameras: number;
  /** fresh online evidence held this long → verified closure */
  holdDownMs: number;
  /** a camera failing again within this time after resolution reopens its ticket */
  reopenWindowMs: number;
  /** down again this many times during a ticket → unstable */
  flapThreshold: number;
  slaMs: number;
  /** failing probe results kept per camera as evidence */
  evidencePerCamera: number;
}

export const DEFAULT_TICKET_RULES: TicketRules = {
  groupWaitMs: 30_000,
  siteMinCameras: 2,
  holdDownMs: 5 * 60_000,
  reopenWindowMs: 24 * 3600_000,
  flapThreshold: 2,
  slaMs: 24 * 3600_000,
  evidencePerCamera: 3,
};

export type TicketErrorCode = 'not_found' | 'conflict' | 'invalid';

export class TicketError extends Error {
  constructor(
    readonly code: TicketErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An open monitor ticket of one camera (c01 in grid ga1, town ta), every field set: the shape webhook payloads carry. Override what a test is about. */
import type { Ticket, TicketCamera } from '../../src/core/tickets/model.ts';

export const ticketCameraOf = (code: string, offlineSince: number, fault: TicketCamera['fault'] = 'unreachable'): TicketCamera => ({
  code,
  gridId: 'ga1',
  fault,
  offlineSince,
  backSince: null,
  backAt: null,
  lastOkAt: null,
  verified: false,
});

export function openTicket(openedAt: number, over: Partial<Ticket> = {}): Ticket {
  return {
    id: 1,
    rev: 1,
    kind: 'camera',
    source: 'monitor',
    siteId: null,
    townId: 'ta',
    gridId: 'ga1',
    cameras: [ticketCameraOf('c01', openedAt)],
    fault: 'unreachable',
    category: 'line_power',
    state: 'open',
    unstable: false,
    flaps: 0,
    openedAt,
    slaDueAt: openedAt + 24 * 3600_000,
    slaBreached: false,
    crews: [],
    assignee: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    cause: null,
    fixReportedAt: null,
    fixReportedBy: null,
    autoClose: true,
    resolvedAt: null,
    resolvedBy: null,
    repairMs: null,
    reopenCount: 0,
    reopenedAt: null,
    report: null,
    evidence: [],
    updatedAt: openedAt,
    ...over,
  };
}

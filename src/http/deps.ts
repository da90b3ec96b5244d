/** What the HTTP layer needs from the hub; routes stay thin and delegate here. */
import type { FastifyInstance } from 'fastify';
import type { Transition } from '../core/model.ts';
import type { AgentAssignment } from '../protocol/probe-result.ts';
import type { AuthService } from '../services/auth.ts';
import type { CountyView } from '../services/county-view.ts';
import type { IngestService } from '../services/ingest.ts';

export interface HubDeps {
  auth: AuthService;
  ingest: IngestService;
  view: CountyView;
  transitions(code: string, limit: number, before?: number): Promise<Transition[]>;
  assignment(agentId: string): Promise<AgentAssignment>;
  /** ready = database open, state restored, not shutting down */
  ready(): { ok: boolean; reason?: string };
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** the live view's Fastify plugin (set by wireLive) */
  live?: (app: FastifyInstance) => Promise<void>;
  tickets?: import('../services/tickets.ts').TicketService;
}

/** What the HTTP routes need from the hub; each route factory takes the narrow part it uses. */
import type { Transition } from '../core/model.ts';
import type { AgentAssignment } from '../protocol/assignment.ts';
import type { AuthService } from '../services/auth.ts';
import type { CountyView } from '../services/county-view.ts';
import type { IngestService } from '../services/ingest.ts';

export interface HubDeps {
  auth: AuthService;
  ingest: IngestService;
  view: CountyView;
  transitions(code: string, limit: number, before?: number): Promise<Transition[]>;
  assignment(agentId: string): Promise<AgentAssignment>;
  /** ready = state restored, the database answers, not shutting down */
  ready(): Promise<{ ok: boolean; reason?: string }>;
}

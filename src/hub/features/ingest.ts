/**
 * Agents: report batches in (through the evidence intake, committed by the transition sink),
 * the camera assignment out (the only response that carries camera credentials).
 */
import { createHash } from 'node:crypto';
import type { Database } from '../../db/client.ts';
import { loadAgentCameras } from '../../db/county-store.ts';
import { agentRoutes } from '../../http/routes/agent.ts';
import type { AgentAssignment } from '../../protocol/assignment.ts';
import type { SecretBox } from '../../secrets/secret-box.ts';
import type { AuthService } from '../../services/auth.ts';
import type { EvidenceIntake } from '../../services/evidence-intake.ts';
import { IngestService } from '../../services/ingest.ts';
import type { TransitionSink } from '../../services/transition-sink.ts';
import type { HubFeature } from '../feature.ts';

export interface IngestFeatureDeps {
  db: Database;
  box: SecretBox;
  intake: EvidenceIntake;
  sink: TransitionSink;
  auth: AuthService;
  now: () => number;
  /** highest seq and last report per agent, from the ledger (restart) */
  heads: Map<string, { maxSeq: number; lastAt: number }>;
}

export function ingestFeature(deps: IngestFeatureDeps): HubFeature & { service: IngestService } {
  const service = new IngestService(deps.intake, deps.sink, deps.db, deps.now, deps.heads);
  const assignment = async (agentId: string): Promise<AgentAssignment> => {
    const cameras = await loadAgentCameras(deps.db, agentId, deps.box);
    const version = createHash('sha256').update(JSON.stringify(cameras)).digest('hex').slice(0, 16);
    return { agent: agentId, version, cameras, lastSeq: service.lastSeq(agentId) };
  };
  return { name: 'ingest', service, routes: agentRoutes({ auth: deps.auth, ingest: service, assignment }) };
}

/**
 * What a feature hands the composition root: its routes, the figures it adds to /metrics,
 * and its start and stop. Features are built by factories in ./features/ from narrow
 * dependencies; only the root (./start-hub.ts) calls start and stop, each exactly once.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { MetricsExtras } from '../services/hub-metrics-source.ts';

export interface HubFeature {
  readonly name: string;
  /** registered on the HTTP app in the root's order */
  readonly routes?: FastifyPluginAsync;
  /** scrape-time figures this feature contributes to /metrics */
  readonly metrics?: MetricsExtras;
  /** after the state is restored, before the HTTP app is built */
  start?(): Promise<void>;
  /** stop timers, finish writes, close connections; called once, by the root */
  stop?(): Promise<void>;
}

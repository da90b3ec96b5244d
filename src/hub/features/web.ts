/** The hub's pages: the crew board (/board) and the grid-worker page (/worker). */
import { webPageRoutes } from '../../web/pages.ts';
import type { HubFeature } from '../feature.ts';

export function webFeature(): HubFeature {
  return { name: 'web', routes: webPageRoutes() };
}

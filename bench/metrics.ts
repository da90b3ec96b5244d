/** metrics.render_ms: /metrics text for 1,730 grids × 14 towns (exporter over a fake source of that size). */
import { benchRender } from '../src/metrics/bench-render.ts';
import { figure } from './support.ts';

const r = await benchRender();
figure('metrics.render_ms', r.medianMs, 'ms', { ...r, goal: '< 10' });
process.exit(0);

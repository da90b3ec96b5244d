/** The Fastify app: plugins, error handler, routes. No listening here (main.ts / tests do that). */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '../log.ts';
import type { HubDeps } from './deps.ts';
import { installErrorHandler } from './errors.ts';
import { agentRoutes } from './routes/agent.ts';
import { authRoutes } from './routes/auth.ts';
import { countyRoutes } from './routes/county.ts';
import { healthRoutes } from './routes/health.ts';

export async function buildApp(deps: HubDeps, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    // no line per request (agents post every second); refused requests are logged in onResponse
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 4 * 1024 * 1024,
    // bodies are validated against closed schemas and never merged into objects; skipping the
    // __proto__/constructor scan saves ~3 % of ingest CPU (measured with BENCH_PROFILE)
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    requestIdHeader: 'x-request-id',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandler(app as unknown as FastifyInstance);
  // JSON only: anything else is 415, not a string body that fails validation
  app.removeContentTypeParser('text/plain');
  await app.register(swagger, {
    openapi: {
      info: { title: 'Sharp Eyes Monitor hub', version: '0.1.0', description: 'Camera health, online rates per grid, agent ingest.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes(deps));
  await app.register(authRoutes(deps));
  await app.register(agentRoutes(deps));
  await app.register(countyRoutes(deps));
  if (deps.tickets) await app.register((await import('./routes/tickets.ts')).ticketRoutes(deps, deps.tickets));
  if (deps.live) await app.register(deps.live);
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 400) req.log.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode }, 'request refused');
  });
  return app as unknown as FastifyInstance;
}

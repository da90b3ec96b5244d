/** The Fastify app: plugins, error handler, the features' routes. No listening here (main.ts / tests do that). */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, LogController } from 'fastify';
import type { Logger } from '../log.ts';
import { installErrorHandler } from './errors.ts';

export interface AppOptions {
  /** serve HTTPS (PEM certificate chain and key) */
  https?: { cert: Buffer | string; key: Buffer | string };
  /** proxies (addresses, CIDRs) whose X-Forwarded-For gives `request.ip`; none by default */
  trustProxy?: string[];
}

export async function buildApp(logger: Logger, routes: readonly FastifyPluginAsync[], opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    ...(opts.trustProxy ? { trustProxy: opts.trustProxy } : {}),
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
  for (const r of routes) await app.register(r);
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 400) req.log.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode }, 'request refused');
  });
  return app as unknown as FastifyInstance;
}

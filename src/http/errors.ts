/**
 * One error handler: bad input always gets a 4xx with a message that says what
 * is wrong; a 5xx is only ever our fault (or the database's), logged, and says
 * nothing internal.
 */
import type { FastifyError, FastifyInstance } from 'fastify';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`);

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { validationContext?: string }, req, reply) => {
    let status = err instanceof HttpError ? err.statusCode : (err.statusCode ?? 500);
    let message = err.message;
    if (err.validation) {
      status = 400;
      message = `invalid ${err.validationContext ?? 'request'}: ${err.validation
        .slice(0, 5)
        .map((v) => `${v.instancePath || '/'} ${v.message ?? ''}`.trim())
        .join('; ')}`;
    } else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      status = 400;
      message = `body is not valid JSON: ${err.message}`;
    }
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      if (status !== 503) message = 'internal error';
    }
    void reply.status(status).send({ statusCode: status, error: REASONS[status] ?? 'Error', message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
}

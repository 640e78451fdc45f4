/**
 * Maps every error to the JSON body of CONVENTIONS.md. Client mistakes keep their 4xx; anything
 * unexpected becomes a 500 whose details go to the log only (no stack traces or SQL to clients).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ImgplaneError, type ErrorBody } from '../core/errors.ts';

/** Fastify's own client errors (bad JSON, wrong content type, body too large) keep their status. */
function fromFastify(error: FastifyError): ImgplaneError | undefined {
  const status = error.statusCode ?? 500;
  if (status === 413) return new ImgplaneError('payload_too_large', error.message);
  if (status === 415) return new ImgplaneError('unsupported_media_type', error.message);
  if (status >= 400 && status < 500) return new ImgplaneError('bad_request', error.message);
  return undefined;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof ImgplaneError ? error : fromFastify(error);
    if (!known || known.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    }
    const problem = known ?? new ImgplaneError('internal', 'internal error');
    if (problem.retryAfterSeconds !== undefined) reply.header('retry-after', String(problem.retryAfterSeconds));
    if (problem.headers) reply.headers(problem.headers);
    const body: ErrorBody = problem.toBody();
    return reply.code(problem.status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}

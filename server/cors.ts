/**
 * CORS for the API (REST and GraphQL) through @fastify/cors: an origin listed by the
 * `cors_allowed_origins` policy gets `Access-Control-Allow-Origin`, preflights included; any other
 * origin gets no CORS headers (and a 404 preflight), so the browser refuses the call. Which
 * policy applies is platform/cors-origins.ts's decision. Image routes opt out with
 * `config: { cors: false }`: they answer for the space of their URL (server/routes/images.ts).
 */
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { corsFor } from '../core/cors.ts';
import type { CorsOrigins } from '../platform/cors-origins.ts';

/** Everything the REST and GraphQL routes read from a request or let a page read from the answer. */
const CORS_BASE = {
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
  allowedHeaders: ['x-api-key', 'content-type', 'accept'],
  exposedHeaders: ['retry-after'],
  maxAge: 600,
} satisfies FastifyCorsOptions;

export async function registerApiCors(app: FastifyInstance, origins: Pick<CorsOrigins, 'forApiPath'>): Promise<void> {
  await app.register(cors, {
    delegator: async (request: FastifyRequest) => {
      const origin = request.headers.origin;
      if (origin === undefined) return { ...CORS_BASE, origin: false };
      const { allowOrigin } = corsFor(origin, await origins.forApiPath(request.url));
      return { ...CORS_BASE, origin: allowOrigin ?? false };
    },
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: the route answers CORS itself, and @fastify/cors leaves it alone. */
    cors?: false;
  }
}

/** Liveness, readiness (the database answers) and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform/platform.ts';
import { isDraining } from '../drain.ts';
import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthorized } from '../../core/errors.ts';

const HEALTH_TAGS = ['health'];
const READINESS = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready', 'draining'] },
    checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'down', 'not configured'] } },
  },
} as const;

export function registerHealthRoutes(app: FastifyInstance, platform: Platform): void {
  app.get(
    '/health/live',
    { schema: { tags: HEALTH_TAGS, summary: 'The process answers', response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', const: 'ok' } } } } } },
    async () => ({ status: 'ok' }),
  );

  app.get('/health/ready', { schema: { tags: HEALTH_TAGS, summary: 'The database answers (Redis is reported, never required)', response: { 200: READINESS, 503: READINESS } } }, async (_request, reply) => {
    // Shutting down: fail first, before anything else stops, so the load balancer moves on.
    if (isDraining(app)) return reply.code(503).send({ status: 'draining', checks: {} });
    const checks: Record<string, 'ok' | 'down' | 'not configured'> = { database: 'down', redis: 'not configured' };
    try {
      await platform.pool.query('select 1');
      checks.database = 'ok';
    } catch {
      // reported below
    }
    if (platform.redis) checks.redis = platform.redis.status === 'ready' ? 'ok' : 'down';
    // Redis is an optimisation: being down degrades caching, it does not make us unready.
    const ready = checks.database === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  // Metrics name routes, tenants' traffic and internals: never open on the public port. They are
  // here only behind METRICS_TOKEN; otherwise on their own listener (server/main.ts, METRICS_PORT).
  const token = platform.config.metrics.token;
  if (token === undefined) return;
  app.get('/metrics', { schema: { tags: HEALTH_TAGS, summary: 'Prometheus metrics (Authorization: Bearer METRICS_TOKEN)', response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } }, async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, token)) throw unauthorized('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    return reply.type(platform.metrics.registry.contentType).send(await platform.metrics.registry.metrics());
  });
}

/** Constant-time comparison of a presented bearer token (hashed, so lengths may differ). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (presented === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

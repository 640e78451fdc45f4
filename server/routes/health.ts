/** Liveness, readiness (the database answers) and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform/platform.ts';

export function registerHealthRoutes(app: FastifyInstance, platform: Platform): void {
  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
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

  app.get('/metrics', async (_request, reply) =>
    reply.type(platform.metrics.registry.contentType).send(await platform.metrics.registry.metrics()),
  );
}

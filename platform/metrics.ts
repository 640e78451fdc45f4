/** Prometheus metrics of one process, served at GET /metrics. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  transforms: Counter<'format'>;
  transformDuration: Histogram<'format'>;
  deliveries: Counter<'cache'>;
  uploads: Counter<'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'imgplane_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    transforms: new Counter({
      name: 'imgplane_transforms_total',
      help: 'Sharp transforms run by this process (cache misses that produced a variant)',
      labelNames: ['format'],
      registers: [registry],
    }),
    transformDuration: new Histogram({
      name: 'imgplane_transform_duration_seconds',
      help: 'Wall time of one transform, from original bytes to encoded variant',
      labelNames: ['format'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'imgplane_deliveries_total',
      help: 'Image responses by the cache layer that answered (hit-memory, hit-redis, hit-storage, miss)',
      labelNames: ['cache'],
      registers: [registry],
    }),
    uploads: new Counter({
      name: 'imgplane_uploads_total',
      help: 'Upload attempts by outcome (created, deduplicated, rejected)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

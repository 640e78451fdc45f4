/** GET /metrics of an external worker process (`npm run worker` with WORKER_METRICS_PORT). */
export { serveMetrics, type MetricsListener } from '../platform/metrics-listener.ts';

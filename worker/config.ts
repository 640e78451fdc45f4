/**
 * The worker's own settings, read once from the environment and validated. Everything else it
 * needs comes from core/config.ts (database, storage, cache), exactly as the server reads it.
 */
import { ConfigError, redactUrl } from '../core/config.ts';
import { DEFAULT_WEBHOOK_RETRY, type WebhookRetrySettings } from '../platform/events/webhook-deliveries.ts';
import { DEFAULT_RETENTION, type RetentionSettings } from './tasks/data-retention.ts';

export interface WebhookTarget {
  /** Where every outbox event is POSTed. */
  url: string;
  /** HMAC-SHA256 key of the `X-Imgplane-Signature` header. */
  secret: string;
}

export interface WorkerConfig {
  /** WEBHOOK_URL and WEBHOOK_SECRET; absent: no webhook consumer. */
  webhook: WebhookTarget | undefined;
  /** WORKER_METRICS_PORT: where `npm run worker` serves GET /metrics; absent: not served. */
  metricsPort?: number | undefined;
  /** EVENTS_AMQP_URL: RabbitMQ that every outbox event is published to; absent: no broker. */
  eventsAmqpUrl?: string | undefined;
  /** WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_BASE_MS, WEBHOOK_TIMEOUT_MS: per-organisation webhook deliveries. */
  webhookRetry?: WebhookRetrySettings;
  /** RETENTION_*_DAYS: how long the daily data_retention task keeps rows (worker/tasks/data-retention.ts). */
  retention?: RetentionSettings;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return {
    webhook: webhookFromEnv(env),
    metricsPort: metricsPortFromEnv(env),
    eventsAmqpUrl: amqpUrlFromEnv(env),
    webhookRetry: webhookRetryFromEnv(env),
    retention: retentionFromEnv(env),
  };
}

function retentionFromEnv(env: NodeJS.ProcessEnv): RetentionSettings {
  // 1 day at least: a cutoff of "now" would delete events the dispatcher just delivered
  const days = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 36_500) throw new ConfigError(`${name} must be a whole number of days from 1 to 36500, got "${raw}"`);
    return value;
  };
  return {
    ...DEFAULT_RETENTION,
    eventsDays: days('RETENTION_EVENTS_DAYS', DEFAULT_RETENTION.eventsDays),
    auditDays: days('RETENTION_AUDIT_DAYS', DEFAULT_RETENTION.auditDays),
    usageDays: days('RETENTION_USAGE_DAYS', DEFAULT_RETENTION.usageDays),
    failedJobsDays: days('RETENTION_FAILED_JOBS_DAYS', DEFAULT_RETENTION.failedJobsDays),
    deletedAssetsGraceDays: days('RETENTION_DELETED_ASSETS_DAYS', DEFAULT_RETENTION.deletedAssetsGraceDays),
  };
}

function amqpUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const url = env.EVENTS_AMQP_URL?.trim() || undefined;
  if (url !== undefined && !/^amqps?:\/\/[^/]/.test(url)) {
    throw new ConfigError(`EVENTS_AMQP_URL must be an amqp:// or amqps:// URL, got "${redactUrl(url)}"`);
  }
  return url;
}

function webhookRetryFromEnv(env: NodeJS.ProcessEnv): WebhookRetrySettings {
  const whole = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    return value;
  };
  return {
    maxAttempts: whole('WEBHOOK_MAX_ATTEMPTS', DEFAULT_WEBHOOK_RETRY.maxAttempts, 1, 50),
    baseDelayMs: whole('WEBHOOK_RETRY_BASE_MS', DEFAULT_WEBHOOK_RETRY.baseDelayMs, 10, 3_600_000),
    maxDelayMs: DEFAULT_WEBHOOK_RETRY.maxDelayMs,
    timeoutMs: whole('WEBHOOK_TIMEOUT_MS', DEFAULT_WEBHOOK_RETRY.timeoutMs, 100, 60_000),
  };
}

function webhookFromEnv(env: NodeJS.ProcessEnv): WebhookTarget | undefined {
  const url = env.WEBHOOK_URL?.trim() || undefined;
  const secret = env.WEBHOOK_SECRET?.trim() || undefined;
  if (url === undefined) return undefined;
  if (!isHttpUrl(url)) throw new ConfigError(`WEBHOOK_URL must be an absolute http(s) URL, got "${url}"`);
  // Unsigned webhooks could be forged by anyone who learns the receiver's address.
  if (secret === undefined) throw new ConfigError('WEBHOOK_SECRET is required when WEBHOOK_URL is set');
  return { url, secret };
}

function metricsPortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.WORKER_METRICS_PORT?.trim();
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`WORKER_METRICS_PORT must be an integer from 0 to 65535, got "${raw}"`);
  }
  return port;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

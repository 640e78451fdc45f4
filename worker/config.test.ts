import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/config.ts';
import { loadWorkerConfig } from './config.ts';

describe('loadWorkerConfig', () => {
  it('has no webhook when WEBHOOK_URL is unset or blank', () => {
    expect(loadWorkerConfig({}).webhook).toBeUndefined();
    expect(loadWorkerConfig({ WEBHOOK_URL: '  ', WEBHOOK_SECRET: 's' }).webhook).toBeUndefined();
  });

  it('reads the webhook URL and secret, trimmed', () => {
    expect(loadWorkerConfig({ WEBHOOK_URL: ' https://hooks.example/imgplane ', WEBHOOK_SECRET: ' s3cret ' }).webhook).toEqual({
      url: 'https://hooks.example/imgplane',
      secret: 's3cret',
    });
  });

  it('refuses a webhook URL without a secret', () => {
    expect(() => loadWorkerConfig({ WEBHOOK_URL: 'https://hooks.example/' })).toThrow(
      new ConfigError('WEBHOOK_SECRET is required when WEBHOOK_URL is set'),
    );
  });

  it('refuses a webhook URL that is not absolute http(s)', () => {
    for (const url of ['hooks.example/x', 'ftp://hooks.example/x', '/relative']) {
      expect(() => loadWorkerConfig({ WEBHOOK_URL: url, WEBHOOK_SECRET: 's' })).toThrow(/WEBHOOK_URL must be an absolute http\(s\) URL/);
    }
  });
});

describe('WORKER_METRICS_PORT', () => {
  it('is read as a port and refused when it is not one', () => {
    expect(loadWorkerConfig({ WORKER_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(loadWorkerConfig({}).metricsPort).toBeUndefined();
    expect(() => loadWorkerConfig({ WORKER_METRICS_PORT: 'http' })).toThrow(/WORKER_METRICS_PORT must be an integer/);
  });
});

describe('EVENTS_AMQP_URL and webhook retries', () => {
  it('reads the broker URL and refuses one that is not amqp(s)', () => {
    expect(loadWorkerConfig({ EVENTS_AMQP_URL: ' amqp://guest:guest@127.0.0.1:5672 ' }).eventsAmqpUrl).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(loadWorkerConfig({}).eventsAmqpUrl).toBeUndefined();
    expect(() => loadWorkerConfig({ EVENTS_AMQP_URL: 'http://user:pw@broker/' })).toThrow(/EVENTS_AMQP_URL must be an amqp/);
    expect(() => loadWorkerConfig({ EVENTS_AMQP_URL: 'http://user:pw@broker/' })).not.toThrow(/pw/);
  });

  it('reads webhook retry settings with defaults and bounds', () => {
    expect(loadWorkerConfig({}).webhookRetry).toMatchObject({ maxAttempts: 10, baseDelayMs: 30_000, timeoutMs: 10_000 });
    expect(loadWorkerConfig({ WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_RETRY_BASE_MS: '50' }).webhookRetry).toMatchObject({ maxAttempts: 3, baseDelayMs: 50 });
    expect(() => loadWorkerConfig({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(/WEBHOOK_MAX_ATTEMPTS must be an integer from 1 to 50/);
  });
});

describe('RETENTION_*_DAYS', () => {
  it('reads retention periods in whole days, with defaults, and refuses less than one day', () => {
    expect(loadWorkerConfig({}).retention).toMatchObject({ eventsDays: 30, auditDays: 365, usageDays: 400, failedJobsDays: 30, deletedAssetsGraceDays: 30 });
    expect(loadWorkerConfig({ RETENTION_EVENTS_DAYS: ' 7 ', RETENTION_DELETED_ASSETS_DAYS: '90' }).retention).toMatchObject({
      eventsDays: 7,
      deletedAssetsGraceDays: 90,
      auditDays: 365,
    });
    for (const raw of ['0', '-1', '1.5', 'week']) {
      expect(() => loadWorkerConfig({ RETENTION_AUDIT_DAYS: raw })).toThrow(/RETENTION_AUDIT_DAYS must be a whole number of days from 1/);
    }
  });
});

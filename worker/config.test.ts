import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/config.ts';
import { loadWorkerConfig } from './config.ts';

describe('loadWorkerConfig', () => {
  it('has no webhook when WEBHOOK_URL is unset or blank', () => {
    expect(loadWorkerConfig({})).toEqual({ webhook: undefined });
    expect(loadWorkerConfig({ WEBHOOK_URL: '  ', WEBHOOK_SECRET: 's' })).toEqual({ webhook: undefined });
  });

  it('reads the webhook URL and secret, trimmed', () => {
    expect(loadWorkerConfig({ WEBHOOK_URL: ' https://hooks.example/imgplane ', WEBHOOK_SECRET: ' s3cret ' })).toEqual({
      webhook: { url: 'https://hooks.example/imgplane', secret: 's3cret' },
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

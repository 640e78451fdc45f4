import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig: MEMORY_CACHE_ADMISSION', () => {
  it('keeps variants from their second request by default', () => {
    expect(loadConfig({}).memoryCacheAdmission).toBe('second-request');
  });

  it('takes first-request and second-request', () => {
    expect(loadConfig({ MEMORY_CACHE_ADMISSION: 'first-request' }).memoryCacheAdmission).toBe('first-request');
    expect(loadConfig({ MEMORY_CACHE_ADMISSION: 'second-request' }).memoryCacheAdmission).toBe('second-request');
  });

  it('refuses anything else, naming the setting and the values it takes', () => {
    expect(() => loadConfig({ MEMORY_CACHE_ADMISSION: 'always' })).toThrow(ConfigError);
    expect(() => loadConfig({ MEMORY_CACHE_ADMISSION: 'always' })).toThrow(/MEMORY_CACHE_ADMISSION must be one of first-request, second-request, got "always"/);
  });
});

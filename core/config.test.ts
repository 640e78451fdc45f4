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

describe('loadConfig: CACHE_TAG_HEADERS', () => {
  it('sends all three headers by default', () => {
    expect(loadConfig({}).cacheTagHeaders).toEqual(['cache-tag', 'surrogate-key', 'edge-cache-tag']);
  });

  it('takes a list in any case and order, and none', () => {
    expect(loadConfig({ CACHE_TAG_HEADERS: ' Surrogate-Key ' }).cacheTagHeaders).toEqual(['surrogate-key']);
    expect(loadConfig({ CACHE_TAG_HEADERS: 'edge-cache-tag,cache-tag' }).cacheTagHeaders).toEqual(['cache-tag', 'edge-cache-tag']);
    expect(loadConfig({ CACHE_TAG_HEADERS: 'none' }).cacheTagHeaders).toEqual([]);
  });

  it('refuses a header it does not know, naming it and the ones it takes', () => {
    expect(() => loadConfig({ CACHE_TAG_HEADERS: 'cache-tag,x-tags' })).toThrow(
      /CACHE_TAG_HEADERS must list some of cache-tag, surrogate-key, edge-cache-tag, or be none; got "x-tags"/,
    );
  });
});

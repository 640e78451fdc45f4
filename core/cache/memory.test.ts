import { describe, expect, it } from 'vitest';
import { MemoryVariantCache, memoryEntrySize } from './memory.ts';
import type { CachedVariant } from './types.ts';

const variant = (bytes: number, fill = 1): CachedVariant => ({
  body: Buffer.alloc(bytes, fill),
  contentType: 'image/webp',
  etag: '"abc"',
});

describe('MemoryVariantCache', () => {
  describe('admission (default: from the second request)', () => {
    it('notes a variant set once and keeps it when it is set again', () => {
      const cache = new MemoryVariantCache({ maxBytes: 1_000_000 });
      cache.set('k', variant(100));
      expect(cache.get('k')).toBeUndefined();
      expect(cache.stats()).toEqual({ entries: 0, bytes: 0 });
      cache.set('k', variant(100));
      expect(cache.get('k')).toEqual(variant(100));
      cache.set('k', variant(100, 2)); // a kept key is replaced at once
      expect(cache.get('k')?.body[0]).toBe(2);
    });

    it('keeps a hot variant through a stream of one-off variants that would fill the budget', () => {
      const entry = memoryEntrySize('hot', variant(10_000));
      const cache = new MemoryVariantCache({ maxBytes: entry * 4, maxEntryFraction: 1 });
      cache.set('hot', variant(10_000));
      cache.set('hot', variant(10_000));
      for (let i = 0; i < 500; i += 1) cache.set(`once${i}`, variant(10_000));
      expect(cache.get('hot')).toBeDefined();
      expect(cache.stats()).toEqual({ entries: 1, bytes: entry });
      const firstRequest = new MemoryVariantCache({ maxBytes: entry * 4, maxEntryFraction: 1, admission: 'first-request' });
      firstRequest.set('hot', variant(10_000));
      for (let i = 0; i < 500; i += 1) firstRequest.set(`once${i}`, variant(10_000));
      expect(firstRequest.get('hot')).toBeUndefined();
    });

    it('remembers a bounded number of keys seen once (at least 1,024), the least recent going first', () => {
      const cache = new MemoryVariantCache({ maxBytes: 1_000_000 });
      cache.set('early', variant(10));
      for (let i = 0; i < 1_024; i += 1) cache.set(`other${i}`, variant(10));
      cache.set('other1023', variant(10)); // the most recent key seen once: kept
      cache.set('early', variant(10)); // pushed out by 1,024 newer keys: noted again, not kept
      expect(cache.get('other1023')).toBeDefined();
      expect(cache.get('early')).toBeUndefined();
      cache.set('early', variant(10));
      expect(cache.get('early')).toBeDefined();
    });

    it('forgets that a deleted or cleared variant was seen', () => {
      const cache = new MemoryVariantCache({ maxBytes: 1_000_000 });
      cache.set('a', variant(10));
      cache.delete('a');
      cache.set('a', variant(10));
      expect(cache.get('a')).toBeUndefined();
      cache.clear();
      cache.set('a', variant(10));
      expect(cache.get('a')).toBeUndefined();
    });
  });

  it('returns what was stored, synchronously', () => {
    const cache = new MemoryVariantCache({ maxBytes: 1_000_000, admission: 'first-request' });
    const value = variant(100);
    cache.set('k', value);
    const hit = cache.get('k');
    expect(hit).not.toBeInstanceOf(Promise);
    expect(hit).toEqual(value);
  });

  it('keeps total bytes within the budget by evicting the least recently used', () => {
    const entry = memoryEntrySize('k0', variant(10_000));
    const cache = new MemoryVariantCache({ maxBytes: entry * 3, maxEntryFraction: 1, admission: 'first-request' });
    cache.set('k0', variant(10_000));
    cache.set('k1', variant(10_000));
    cache.set('k2', variant(10_000));
    cache.get('k0'); // k1 is now the least recently used
    cache.set('k3', variant(10_000));
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k0')).toBeDefined();
    expect(cache.get('k3')).toBeDefined();
    expect(cache.stats()).toEqual({ entries: 3, bytes: entry * 3 });
  });

  it('counts bytes, not entries: one large entry evicts several small ones', () => {
    const cache = new MemoryVariantCache({ maxBytes: 50_000, maxEntryFraction: 1, admission: 'first-request' });
    for (let i = 0; i < 10; i += 1) cache.set(`small${i}`, variant(1_000));
    cache.set('large', variant(45_000));
    const { entries, bytes } = cache.stats();
    expect(bytes).toBeLessThanOrEqual(50_000);
    expect(entries).toBeLessThan(10);
    expect(cache.get('large')).toBeDefined();
  });

  it('does not cache an entry above the per-entry share of the budget', () => {
    const cache = new MemoryVariantCache({ maxBytes: 100_000, maxEntryFraction: 0.1, admission: 'first-request' });
    cache.set('small', variant(1_000));
    cache.set('huge', variant(20_000));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('small')).toBeDefined();
    expect(cache.stats().entries).toBe(1);
  });

  it('stores a compact copy of a body that is a small view into a large buffer', () => {
    const cache = new MemoryVariantCache({ maxBytes: 1_000_000, admission: 'first-request' });
    const pool = Buffer.alloc(200_000, 7);
    cache.set('view', { ...variant(0), body: pool.subarray(1_000, 2_000) });
    const stored = cache.get('view');
    expect(stored?.body.equals(pool.subarray(1_000, 2_000))).toBe(true);
    expect(stored?.body.buffer.byteLength).toBeLessThan(200_000);
  });

  it('deletes one entry and clears all', () => {
    const cache = new MemoryVariantCache({ maxBytes: 1_000_000, admission: 'first-request' });
    cache.set('a', variant(10));
    cache.set('b', variant(10));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.stats().entries).toBe(1);
    cache.clear();
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0 });
  });

  it('rejects a negative budget and an entry share outside (0, 1]', () => {
    expect(() => new MemoryVariantCache({ maxBytes: -1 })).toThrow(RangeError);
    expect(() => new MemoryVariantCache({ maxBytes: 10, maxEntryFraction: 2 })).toThrow(RangeError);
  });

  it('holds nothing with a zero budget (MEMORY_CACHE_MB=0 turns it off)', () => {
    const cache = new MemoryVariantCache({ maxBytes: 0 });
    cache.set('k', variant(100));
    expect(cache.get('k')).toBeUndefined();
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0 });
  });
});

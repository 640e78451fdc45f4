import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { connectTestRedis, waitFor, withProxiedRedis } from '../../test/support/redis-test-client.ts';
import { RedisVariantCache } from './redis.ts';
import type { CachedVariant } from './types.ts';

const redisUrl = inject('redisUrl');

const allByteValues = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const variant = (body: Buffer = allByteValues): CachedVariant => ({ body, contentType: 'image/webp', etag: '"v1"' });

describe.skipIf(!redisUrl)('RedisVariantCache on real Redis', () => {
  let client: Redis;
  const keyPrefix = `test:${randomUUID()}:variant:`;

  beforeAll(async () => {
    client = await connectTestRedis(redisUrl);
  });
  afterAll(async () => {
    await client.quit();
  });

  it('round-trips all 256 byte values with content type and ETag', async () => {
    const cache = new RedisVariantCache(client, { keyPrefix, ttlSeconds: 60 });
    await cache.set('bytes', variant());
    expect(await cache.get('bytes')).toEqual(variant());
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0, errors: 0 });
  });

  it('stores raw bytes with a small header, not base64', async () => {
    const cache = new RedisVariantCache(client, { keyPrefix, ttlSeconds: 60 });
    const body = Buffer.alloc(30_000, 0xff);
    await cache.set('raw', variant(body));
    const stored = await client.getBuffer(`${keyPrefix}raw`);
    // base64 alone would be 40,000 bytes.
    expect(stored!.length).toBeGreaterThan(body.length);
    expect(stored!.length).toBeLessThan(body.length + 64);
    expect(stored!.subarray(stored!.length - body.length).equals(body)).toBe(true);
  });

  it('sets the configured TTL', async () => {
    const cache = new RedisVariantCache(client, { keyPrefix, ttlSeconds: 120 });
    await cache.set('ttl', variant());
    const ttl = await client.ttl(`${keyPrefix}ttl`);
    expect(ttl).toBeGreaterThan(110);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('misses an absent key and a value it cannot decode', async () => {
    const cache = new RedisVariantCache(client, { keyPrefix });
    await client.set(`${keyPrefix}garbage`, 'eyJib2R5IjoiLi4uIn0=');
    expect(await cache.get('absent')).toBeUndefined();
    expect(await cache.get('garbage')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 2, errors: 1 });
  });

  it('skips a value over the size cap', async () => {
    const cache = new RedisVariantCache(client, { keyPrefix, maxValueBytes: 1_000 });
    await cache.set('big', variant(Buffer.alloc(1_001)));
    expect(await client.exists(`${keyPrefix}big`)).toBe(0);
  });

  it('misses without touching Redis after close()', async () => {
    const cache = new RedisVariantCache(client, { keyPrefix });
    await cache.set('closed', variant());
    await cache.close();
    expect(await cache.get('closed')).toBeUndefined();
    expect(cache.stats().bypassed).toBe(1);
  });

  it('answers misses and no-ops without touching Redis while it is cut, and recovers after restore', async () => {
    await withProxiedRedis(redisUrl, async (proxied, proxy) => {
      const cache = new RedisVariantCache(proxied, { keyPrefix, coolDownMs: 100 });
      await cache.set('survivor', variant());
      expect(await cache.get('survivor')).toBeDefined();

      proxy.cut();
      await waitFor(() => proxied.status !== 'ready');
      const before = cache.stats();
      for (let i = 0; i < 5; i += 1) {
        expect(await cache.get('survivor')).toBeUndefined();
        await cache.set(`lost${i}`, variant());
      }
      // Every call was answered without a command (so without waiting on one): none failed.
      expect(cache.stats()).toEqual({ ...before, misses: before.misses + 5, bypassed: before.bypassed + 10 });

      proxy.restore();
      await waitFor(() => proxied.status === 'ready');
      // Back in use once the client is ready and any cool-down has passed.
      await vi.waitFor(async () => expect(await cache.get('survivor')).toEqual(variant()), { timeout: 5_000, interval: 20 });
    });
  });

  it('treats a command cut off in flight as a miss and then stays off Redis for the cool-down', async () => {
    await withProxiedRedis(redisUrl, async (proxied, proxy) => {
      const cache = new RedisVariantCache(proxied, { keyPrefix, coolDownMs: 60_000 });
      const inFlight = cache.get('anything');
      proxy.cut();
      expect(await inFlight).toBeUndefined();
      expect(cache.stats()).toMatchObject({ errors: 1, misses: 1, bypassed: 0 });

      proxy.restore();
      await waitFor(() => proxied.status === 'ready');
      await cache.get('anything');
      expect(cache.stats().bypassed).toBe(1);
    });
  });
});

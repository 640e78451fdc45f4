import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTestRedis, waitFor, withProxiedRedis } from '../../test/support/redis-test-client.ts';
import { RedisVariantCache } from './redis.ts';
import type { CachedVariant } from './types.ts';

const redisUrl = inject('redisUrl');

const allByteValues = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const variant = (body: Buffer = allByteValues): CachedVariant => ({ body, contentType: 'image/webp', etag: '"v1"' });

/** Resolves with the call's result and how long it took. */
async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await call();
  return { result, ms: performance.now() - started };
}

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

  it('answers fast misses and no-ops while Redis is cut, and recovers after restore', async () => {
    await withProxiedRedis(redisUrl, async (proxied, proxy) => {
      const cache = new RedisVariantCache(proxied, { keyPrefix, coolDownMs: 100 });
      await cache.set('survivor', variant());
      expect(await cache.get('survivor')).toBeDefined();

      proxy.cut();
      for (let i = 0; i < 5; i += 1) {
        const read = await timed(() => cache.get('survivor'));
        expect(read.result).toBeUndefined();
        expect(read.ms).toBeLessThan(300);
        const write = await timed(() => cache.set(`lost${i}`, variant()));
        expect(write.ms).toBeLessThan(300);
      }
      expect(cache.stats().bypassed).toBeGreaterThan(0);

      proxy.restore();
      await waitFor(() => proxied.status === 'ready');
      await new Promise((resolve) => setTimeout(resolve, 150)); // past the cool-down
      expect(await cache.get('survivor')).toEqual(variant());
    });
  });

  it('treats a command cut off in flight as a miss and then stays off Redis for the cool-down', async () => {
    await withProxiedRedis(redisUrl, async (proxied, proxy) => {
      const cache = new RedisVariantCache(proxied, { keyPrefix, coolDownMs: 60_000 });
      const inFlight = cache.get('anything');
      proxy.cut();
      const read = await timed(() => inFlight);
      expect(read.result).toBeUndefined();
      expect(read.ms).toBeLessThan(300);
      expect(cache.stats().errors).toBe(1);

      proxy.restore();
      await waitFor(() => proxied.status === 'ready');
      await cache.get('anything');
      expect(cache.stats().bypassed).toBe(1);
    });
  });
});

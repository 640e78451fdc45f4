/**
 * The image route when its helpers fail: Redis cut mid-test (through a proxy) degrades caching
 * but never answers, a stopped storage server gives a quick 503 with Retry-After, and a full
 * transform queue sheds load with 503 + Retry-After instead of queueing forever.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import type { AssetView } from '../../platform/assets/asset-service.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile } from '../support/http.ts';
import { proxiedRedisUrl, waitFor } from '../support/redis-test-client.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import type { TcpProxy } from '../support/tcp-proxy.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { expectError, flatPicture, imageUrl, s3StorageConfig, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

/** A running app with one organisation and one uploaded picture in tenant 0's space. */
interface Scenario {
  server: TestApp;
  org: TestOrganization;
  picture: ImageAddress;
}

async function startScenario(options: Parameters<typeof startTestApp>[0], source?: Buffer): Promise<Scenario> {
  const server = await startTestApp(options);
  const org = await createOrganization(server.platform, 'resilience');
  const tenant = org.tenants[0];
  // A colour of its own per run: Redis outlives test runs, and its cached variants must not answer for ours.
  const colour = `#${randomBytes(3).toString('hex')}`;
  const asset: AssetView = await uploadAsset(server.baseUrl, tenant, source ?? (await flatPicture(300, 200, colour)));
  return { server, org, picture: { baseUrl: server.baseUrl, org, tenant, asset } };
}

/** GET that must answer 200; returns its X-Cache layer and how long it took. */
async function timedOk(url: string): Promise<{ layer: string | null; ms: number }> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  expect(response.status, url).toBe(200);
  return { layer: response.headers.get('x-cache'), ms: performance.now() - started };
}

describe('Redis stopped mid-test', () => {
  const redisUrl = inject('redisUrl');
  if (!redisUrl) console.log('[resilience] skipping the Redis test: no Redis answers on 127.0.0.1:6379');
  let proxy: TcpProxy;
  let scenario: Scenario;

  beforeAll(async () => {
    if (!redisUrl) return;
    const proxied = await proxiedRedisUrl(redisUrl);
    proxy = proxied.proxy;
    scenario = await startScenario({ redisUrl: proxied.url });
    await waitFor(() => scenario.server.platform.redis?.status === 'ready');
  });
  afterAll(async () => {
    await scenario?.server.close();
    await proxy?.close();
  });

  it.skipIf(!redisUrl)('keeps answering 200 while Redis is down and uses it again once it is back', async () => {
    const { platform } = scenario.server;
    const url = (ops: string) => imageUrl(scenario.picture, `${ops}.webp`);
    /** Skips the memory layer, so the answer shows which layer below it served. */
    const belowMemory = (ops: string) => {
      platform.memory.clear();
      return timedOk(url(ops));
    };

    expect((await timedOk(url('w_101'))).layer).toBe('miss');
    await platform.variants.settled(); // stored after the response (write-behind)
    expect((await belowMemory('w_101')).layer).toBe('hit-redis');

    proxy.cut();
    const degraded = await belowMemory('w_101');
    expect(degraded.layer).toBe('hit-storage');
    expect(degraded.ms).toBeLessThan(1_500);
    expect((await timedOk(url('w_102'))).layer).toBe('miss');
    // With Redis down no lock is held (core/lock/redlock.ts): once stored, the next request finds it.
    await platform.variants.settled();
    expect((await timedOk(url('w_102'))).layer).toBe('hit-storage'); // kept in memory from here
    expect((await timedOk(url('w_102'))).layer).toBe('hit-memory');
    await platform.variants.settled();
    expect((await belowMemory('w_102')).layer).toBe('hit-storage');

    proxy.restore();
    await waitFor(() => platform.redis?.status === 'ready', 10_000);
    // The cache stays away from Redis for a short cool-down after a failure: render new
    // variants until one is shared through Redis again.
    let width = 103;
    const deadline = Date.now() + 10_000;
    for (;;) {
      expect((await timedOk(url(`w_${width}`))).layer).toBe('miss');
      if ((await belowMemory(`w_${width}`)).layer === 'hit-redis') break;
      if (Date.now() > deadline) throw new Error('Redis was not used again within 10 s of coming back');
      width += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  it.skipIf(!redisUrl)('renders a variant once when it is asked for again while it is being stored, Redis down', async () => {
    const { platform } = scenario.server;
    const url = imageUrl(scenario.picture, 'w_151.webp');
    const transforms = async () => (await platform.metrics.transforms.get()).values.reduce((sum, value) => sum + value.value, 0);
    // The store of the rendered variant (write-behind) is held until the second request is answered.
    const release = Promise.withResolvers<void>();
    const put = platform.storage.put.bind(platform.storage);
    const held = vi.spyOn(platform.storage, 'put').mockImplementation(async (...args) => {
      await release.promise;
      return put(...args);
    });
    proxy.cut();
    try {
      const before = await transforms();
      expect((await timedOk(url)).layer).toBe('miss');
      // Not in the memory cache yet (it admits from the second request), not in Redis, not
      // registered, and no lock to wait on: found among this process's variants still being stored.
      expect((await timedOk(url)).layer).toBe('hit-memory');
      expect(await transforms()).toBe(before + 1);
    } finally {
      release.resolve();
      held.mockRestore();
      await platform.variants.settled();
      proxy.restore();
      await waitFor(() => platform.redis?.status === 'ready', 10_000);
    }
    // Admitted by that second request: the memory cache has it now.
    expect((await timedOk(url)).layer).toBe('hit-memory');
  });
});

describe('storage server stopped mid-test', () => {
  let s3: S3TestServer;
  let scenario: Scenario;

  beforeAll(async () => {
    s3 = await startS3Server();
    // No originals cache: this is about a transform that must read its original from storage (with
    // the cache, originals read before the outage keep being transformed, which is the point of it).
    scenario = await startScenario({ storage: s3StorageConfig(s3), config: { originalsCacheBytes: 0 } });
  });
  afterAll(async () => {
    await scenario?.server.close();
    await s3?.close();
  });

  it('answers an uncached image with a quick 503 and Retry-After, and recovers', async () => {
    const url = (ops: string) => imageUrl(scenario.picture, `${ops}.jpg`);
    expect((await timedOk(url('w_60'))).layer).toBe('miss');
    expect((await timedOk(url('w_60'))).layer).toBe('hit-storage'); // kept in memory from here

    s3.stop();
    try {
      const started = performance.now();
      const response = await fetch(url('w_61'));
      const body = await expectError(response, 503);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(body.error).toBe('unavailable');
      // What is already in memory keeps being served.
      expect((await timedOk(url('w_60'))).layer).toBe('hit-memory');
    } finally {
      s3.restart();
    }
    expect((await timedOk(url('w_61'))).layer).toBe('miss');
  });
});

describe('transform queue full', () => {
  let scenario: Scenario;

  beforeAll(async () => {
    // A large original keeps each transform busy long enough for the others to arrive meanwhile.
    scenario = await startScenario(
      { config: { maxConcurrentTransforms: 1, maxQueuedTransforms: 0 } },
      await corpusFile('2569067123_aca715a2ee_o.jpg'),
    );
  });
  afterAll(() => scenario?.server.close());

  it('refuses the overflow with 503 and Retry-After, serves the rest, and serves the refused ones on retry', async () => {
    const urls = Array.from({ length: 6 }, (_, index) => imageUrl(scenario.picture, `w_${900 + index}.webp`));
    const responses = await Promise.all(urls.map((url) => fetch(url)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 200 || status === 503), String(statuses)).toBe(true);
    expect(statuses).toContain(200);
    const refused = responses.filter((response) => response.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) {
      expect(response.headers.get('retry-after')).toBe('1');
      expect(((await response.json()) as { error: string }).error).toBe('unavailable');
    }
    for (const url of urls.filter((_, index) => statuses[index] === 503)) {
      expect((await timedOk(url)).layer).toBe('miss');
    }
  });
});

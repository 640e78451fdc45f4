import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTestRedis, withProxiedRedis } from '../../test/support/redis-test-client.ts';
import { describeKeyedLockContract } from './keyed-lock.contract.ts';
import { RedlockKeyedLock, type RedlockKeyedLockOptions } from './redlock.ts';

const redisUrl = inject('redisUrl');
const FAST_RETRY: RedlockKeyedLockOptions = { retryDelayMs: 10, retryJitterMs: 5, keyPrefix: `test:${randomUUID()}:lock:` };

describe.skipIf(!redisUrl)('RedlockKeyedLock on real Redis', () => {
  // Two clients, two lock instances: two processes as far as Redis can tell.
  const clients: Redis[] = [];
  let first: RedlockKeyedLock;
  let second: RedlockKeyedLock;

  beforeAll(async () => {
    clients.push(await connectTestRedis(redisUrl), await connectTestRedis(redisUrl));
    first = new RedlockKeyedLock(clients[0]!, FAST_RETRY);
    second = new RedlockKeyedLock(clients[1]!, FAST_RETRY);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });

  describeKeyedLockContract('RedlockKeyedLock', () => ({ first, second }));

  it('holds the lock in Redis under lock:variant:<key> while work runs and removes it after', async () => {
    const lock = new RedlockKeyedLock(clients[0]!);
    const key = randomUUID();
    const heldDuringWork = await lock.withLock(key, () => clients[1]!.exists(`lock:variant:${key}`));
    expect(heldDuringWork).toBe(1);
    expect(await clients[1]!.exists(`lock:variant:${key}`)).toBe(0);
  });

  it('keeps extending the lock while work outlasts its TTL', async () => {
    const lock = new RedlockKeyedLock(clients[0]!, { ...FAST_RETRY, lockTtlMs: 1_000 });
    const key = randomUUID();
    const stillHeld = await lock.withLock(key, async () => {
      await sleep(1_300);
      return clients[1]!.exists(`${FAST_RETRY.keyPrefix}${key}`);
    });
    expect(stillHeld).toBe(1);
  });

  it('runs the work anyway when another holder keeps the lock past the acquire timeout', async () => {
    const patient = new RedlockKeyedLock(clients[1]!, { ...FAST_RETRY, acquireTimeoutMs: 150 });
    const key = randomUUID();
    let releaseHolder!: () => void;
    const holder = first.withLock(key, () => new Promise<void>((resolve) => (releaseHolder = resolve)));
    await sleep(30);
    const started = Date.now();
    await expect(patient.withLock(key, async () => 'ran unlocked')).resolves.toBe('ran unlocked');
    expect(Date.now() - started).toBeLessThan(1_000);
    releaseHolder();
    await holder;
  });

  it('runs the work at once when Redis is down', async () => {
    await withProxiedRedis(redisUrl, async (client, proxy) => {
      const lock = new RedlockKeyedLock(client, FAST_RETRY);
      proxy.cut();
      const started = Date.now();
      await expect(lock.withLock(randomUUID(), async () => 'rendered')).resolves.toBe('rendered');
      expect(Date.now() - started).toBeLessThan(300);
    });
  });

  it('returns the work result when Redis dies while the work runs', async () => {
    await withProxiedRedis(redisUrl, async (client, proxy) => {
      const lock = new RedlockKeyedLock(client, FAST_RETRY);
      const started = Date.now();
      const result = await lock.withLock(randomUUID(), async () => {
        proxy.cut();
        await sleep(20);
        return 'rendered';
      });
      expect(result).toBe('rendered');
      expect(Date.now() - started).toBeLessThan(1_000);
    });
  });

  it('runs the work unlocked after close()', async () => {
    const lock = new RedlockKeyedLock(clients[0]!, FAST_RETRY);
    await lock.close();
    const key = randomUUID();
    const held = await lock.withLock(key, () => clients[1]!.exists(`${FAST_RETRY.keyPrefix}${key}`));
    expect(held).toBe(0);
  });
});

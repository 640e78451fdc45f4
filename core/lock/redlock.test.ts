import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTestRedis, waitFor, withProxiedRedis } from '../../test/support/redis-test-client.ts';
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
    // The shortest TTL that gets redlock's full 500 ms margin for extending before expiry.
    const lockTtlMs = 2_000;
    const lock = new RedlockKeyedLock(clients[0]!, { ...FAST_RETRY, lockTtlMs });
    const key = randomUUID();
    const resource = `${FAST_RETRY.keyPrefix}${key}`;
    const observed = await lock.withLock(key, async () => {
      // Watch the lock from the other client until it has been extended twice: its remaining
      // time went up twice, so the work now holds it for longer than one TTL, and it never lapsed.
      let extensions = 0;
      let lapsed = false;
      let last = await clients[1]!.pttl(resource);
      while (extensions < 2 && !lapsed) {
        await sleep(25);
        const remaining = await clients[1]!.pttl(resource);
        if (remaining < 0) lapsed = true;
        else if (remaining > last) extensions += 1;
        last = remaining;
      }
      return { extensions, lapsed };
    });
    expect(observed).toEqual({ extensions: 2, lapsed: false });
    expect(await clients[1]!.exists(resource)).toBe(0);
  });

  it('runs the work anyway, unlocked, when another holder keeps the lock past the acquire timeout', async () => {
    const patient = new RedlockKeyedLock(clients[1]!, { ...FAST_RETRY, acquireTimeoutMs: 150 });
    const key = randomUUID();
    const resource = `${FAST_RETRY.keyPrefix}${key}`;
    let releaseHolder!: () => void;
    let holderInside = false;
    const holder = first.withLock(key, () => {
      holderInside = true;
      return new Promise<void>((resolve) => (releaseHolder = resolve));
    });
    await waitFor(() => holderInside);
    // The patient one's work runs while the holder still owns the lock in Redis.
    const ranWhileHeld = await patient.withLock(key, async () => (await clients[0]!.exists(resource)) === 1 && holderInside);
    expect(ranWhileHeld).toBe(true);
    releaseHolder();
    await holder;
  });

  it('runs the work unlocked, without waiting to acquire, when Redis is down', async () => {
    await withProxiedRedis(redisUrl, async (client, proxy) => {
      // An acquire timeout longer than the test's own: waiting for it would fail the test.
      const lock = new RedlockKeyedLock(client, { ...FAST_RETRY, acquireTimeoutMs: 600_000 });
      const key = randomUUID();
      proxy.cut();
      const lockedInRedis = await lock.withLock(key, () => clients[1]!.exists(`${FAST_RETRY.keyPrefix}${key}`));
      expect(lockedInRedis).toBe(0);
    });
  });

  it('returns the work result once when Redis dies while the work runs', async () => {
    await withProxiedRedis(redisUrl, async (client, proxy) => {
      const lock = new RedlockKeyedLock(client, { ...FAST_RETRY, acquireTimeoutMs: 600_000 });
      let runs = 0;
      const result = await lock.withLock(randomUUID(), async () => {
        runs += 1;
        proxy.cut();
        await sleep(20);
        return 'rendered';
      });
      expect(result).toBe('rendered');
      expect(runs).toBe(1);
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

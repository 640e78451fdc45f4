import { describe, expect, it } from 'vitest';
import { describeKeyedLockContract } from './keyed-lock.contract.ts';
import { LocalKeyedLock } from './local.ts';

const lock = new LocalKeyedLock();
describeKeyedLockContract('LocalKeyedLock', () => ({ first: lock, second: lock }));

describe('LocalKeyedLock', () => {
  it('forgets a key once its last holder has released it', async () => {
    const own = new LocalKeyedLock();
    await Promise.all([own.withLock('k', async () => 1), own.withLock('k', async () => 2)]);
    await own.withLock('j', () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(own.size).toBe(0);
  });
});

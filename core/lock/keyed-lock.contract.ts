/**
 * The behaviour every KeyedLock must have, run against each implementation by its own test file.
 * `contenders` gives two lock handles standing for two processes (for an in-process lock the
 * same instance twice), so cross-process exclusion is tested wherever the implementation claims it.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { KeyedLock } from './types.ts';

export interface KeyedLockContenders {
  first: KeyedLock;
  second: KeyedLock;
}

/** Work that records how many holders are inside at once. */
function overlapProbe(holdMs: number) {
  let inside = 0;
  let maxInside = 0;
  let runs = 0;
  const work = async (): Promise<number> => {
    inside += 1;
    runs += 1;
    maxInside = Math.max(maxInside, inside);
    await sleep(holdMs);
    inside -= 1;
    return runs;
  };
  return { work, maxInside: () => maxInside, runs: () => runs };
}

export function describeKeyedLockContract(name: string, contenders: () => KeyedLockContenders): void {
  describe(`${name} (KeyedLock contract)`, () => {
    it('runs work for one key one holder at a time across both contenders', async () => {
      const { first, second } = contenders();
      const key = randomUUID();
      const probe = overlapProbe(5);
      const calls = Array.from({ length: 10 }, () => [first, second]).flat();
      await Promise.all(calls.map((lock) => lock.withLock(key, probe.work)));
      expect(probe.runs()).toBe(20);
      expect(probe.maxInside()).toBe(1);
    });

    it('lets only the first holder do double-checked work; the others find its result', async () => {
      const { first, second } = contenders();
      const key = randomUUID();
      let stored: string | undefined;
      let renders = 0;
      const renderOnce = async (): Promise<string> => {
        if (stored !== undefined) return stored;
        renders += 1;
        await sleep(20);
        stored = `variant-${renders}`;
        return stored;
      };
      const calls = Array.from({ length: 10 }, () => [first, second]).flat();
      const results = await Promise.all(calls.map((lock) => lock.withLock(key, renderOnce)));
      expect(renders).toBe(1);
      expect(new Set(results)).toEqual(new Set(['variant-1']));
    });

    it('runs different keys concurrently', async () => {
      const { first } = contenders();
      // Each holder stays inside until the other one has come in too: a lock that serialised
      // different keys would leave the first waiting, and the bound turns that into a failure.
      let inside = 0;
      const meet = async () => {
        inside += 1;
        await vi.waitFor(() => expect(inside).toBe(2), { timeout: 10_000, interval: 5 });
      };
      await Promise.all([first.withLock(randomUUID(), meet), first.withLock(randomUUID(), meet)]);
      expect(inside).toBe(2);
    });

    it('passes the work error to its caller and frees the key for the next holder', async () => {
      const { first, second } = contenders();
      const key = randomUUID();
      await expect(first.withLock(key, () => Promise.reject(new Error('render failed')))).rejects.toThrow('render failed');
      await expect(second.withLock(key, async () => 'next')).resolves.toBe('next');
    });
  });
}

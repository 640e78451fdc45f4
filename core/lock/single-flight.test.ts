import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.ts';

describe('SingleFlight', () => {
  it('runs the work once for 50 concurrent callers of one key and gives all the result', async () => {
    const flight = new SingleFlight();
    let calls = 0;
    const work = async () => {
      calls += 1;
      await sleep(10);
      return { bytes: 42 };
    };
    const results = await Promise.all(Array.from({ length: 50 }, () => flight.run('variant', work)));
    expect(calls).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toEqual({ bytes: 42 });
  });

  it('shares the error with every concurrent caller and frees the key for a retry', async () => {
    const flight = new SingleFlight();
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls += 1;
      await sleep(5);
      throw new Error('decode failed');
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => flight.run('k', failing)));
    expect(calls).toBe(1);
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'decode failed')).toBe(true);
    expect(flight.size).toBe(0);
    await expect(flight.run('k', async () => 'retried')).resolves.toBe('retried');
  });

  it('runs different keys separately', async () => {
    const flight = new SingleFlight();
    const [a, b] = await Promise.all([flight.run('a', async () => 'A'), flight.run('b', async () => 'B')]);
    expect([a, b]).toEqual(['A', 'B']);
  });

  it('turns a synchronous throw into a rejection and frees the key', async () => {
    const flight = new SingleFlight();
    const throwing = (): Promise<never> => {
      throw new Error('sync');
    };
    await expect(flight.run('s', throwing)).rejects.toThrow('sync');
    expect(flight.size).toBe(0);
  });

  it('runs the work again after the previous run settled', async () => {
    const flight = new SingleFlight();
    let calls = 0;
    await flight.run('k', async () => (calls += 1));
    await flight.run('k', async () => (calls += 1));
    expect(calls).toBe(2);
  });
});

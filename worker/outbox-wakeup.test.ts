import { describe, expect, it } from 'vitest';
import { coalesced } from './outbox-wakeup.ts';

describe('coalesced', () => {
  it('runs once for a burst of calls while one run is in flight, then once more', async () => {
    const releases: (() => void)[] = [];
    let runs = 0;
    const wake = coalesced(
      () =>
        new Promise<void>((resolve) => {
          runs += 1;
          releases.push(resolve);
        }),
      () => {},
    );
    wake();
    for (let call = 0; call < 100; call++) wake();
    expect(runs).toBe(1);
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
  });

  it('reports a failed run and keeps working', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const wake = coalesced(async () => {
      runs += 1;
      if (runs === 1) throw new Error('queue down');
    }, (error) => errors.push(error));
    wake();
    await new Promise((resolve) => setImmediate(resolve));
    wake();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    expect(errors).toEqual([new Error('queue down')]);
  });
});

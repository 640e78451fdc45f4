import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from './outbox-dispatch.ts';

describe('retryDelaySeconds', () => {
  it('doubles from one second per failed attempt', () => {
    expect([1, 2, 3, 4, 5].map(retryDelaySeconds)).toEqual([1, 2, 4, 8, 16]);
  });

  it('never waits more than an hour', () => {
    expect(retryDelaySeconds(13)).toBe(3_600);
    expect(retryDelaySeconds(1_000)).toBe(3_600);
  });
});

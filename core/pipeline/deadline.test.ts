import { describe, expect, it } from 'vitest';
import { createDeadline } from './deadline.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createDeadline', () => {
  it('lets work that finishes in time through', async () => {
    const deadline = createDeadline(1_000);
    deadline.check();
    await expect(deadline.race(Promise.resolve(42))).resolves.toBe(42);
  });

  it('rejects a race with a 503 timeout carrying Retry-After once the budget is spent', async () => {
    const deadline = createDeadline(30);
    const slow = sleep(1_000).then(() => 'late');
    await expect(deadline.race(slow)).rejects.toMatchObject({ code: 'timeout', status: 503, retryAfterSeconds: 1 });
    expect(() => deadline.check()).toThrow(/time budget of 30 ms/);
  });

  it('passes the work\'s own failure through unchanged', async () => {
    const deadline = createDeadline(1_000);
    await expect(deadline.race(Promise.reject(new Error('bad pixels')))).rejects.toThrow('bad pixels');
  });

  it('stops waiting as soon as the caller aborts', async () => {
    const controller = new AbortController();
    const deadline = createDeadline(10_000, controller.signal);
    const pending = deadline.race(sleep(1_000));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'unavailable', message: 'image transform aborted' });
    expect(() => deadline.check()).toThrow('image transform aborted');
  });
});

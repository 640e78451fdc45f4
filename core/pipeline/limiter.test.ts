import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImgplaneError } from '../errors.ts';
import { configureSharp, createTransformLimiter } from './limiter.ts';

/** A task that finishes only when the test says so. */
function deferredTask(): { work: () => Promise<string>; finish: (value: string) => void; fail: (error: Error) => void } {
  let finish: (value: string) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { work: () => done, finish: (value) => finish(value), fail: (error) => fail(error) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createTransformLimiter', () => {
  it('runs at most maxConcurrent transforms and queues the rest in arrival order', async () => {
    const limiter = createTransformLimiter({ maxConcurrent: 2, maxQueued: 5 });
    const tasks = [deferredTask(), deferredTask(), deferredTask(), deferredTask()];
    const started: number[] = [];
    const results = tasks.map((task, index) =>
      limiter.run(() => {
        started.push(index);
        return task.work();
      }),
    );
    await settle();
    expect(started).toEqual([0, 1]);
    expect(limiter.stats()).toEqual({ active: 2, queued: 2 });

    tasks[1]?.finish('b');
    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.stats()).toEqual({ active: 2, queued: 1 });

    tasks[0]?.finish('a');
    tasks[2]?.finish('c');
    tasks[3]?.finish('d');
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd']);
    expect(limiter.stats()).toEqual({ active: 0, queued: 0 });
  });

  it('refuses work over the queue bound with a 503 and Retry-After 1', async () => {
    const limiter = createTransformLimiter({ maxConcurrent: 1, maxQueued: 1 });
    const running = deferredTask();
    const first = limiter.run(running.work);
    const second = limiter.run(async () => 'queued');
    const refused = limiter.run(async () => 'never');

    await expect(refused).rejects.toMatchObject({ code: 'unavailable', status: 503, retryAfterSeconds: 1 });
    await expect(refused).rejects.toBeInstanceOf(ImgplaneError);
    running.finish('done');
    await expect(Promise.all([first, second])).resolves.toEqual(['done', 'queued']);
  });

  it('frees the slot when a transform fails, so the queue keeps moving', async () => {
    const limiter = createTransformLimiter({ maxConcurrent: 1, maxQueued: 1 });
    const failing = deferredTask();
    const first = limiter.run(failing.work);
    const next = limiter.run(async () => 'next');
    failing.fail(new Error('decoder broke'));
    await expect(first).rejects.toThrow('decoder broke');
    await expect(next).resolves.toBe('next');
    expect(limiter.stats()).toEqual({ active: 0, queued: 0 });
  });

  it('counts queue wait against the deadline: a waiter leaves the queue with its 503 when the deadline passes', async () => {
    const limiter = createTransformLimiter({ maxConcurrent: 1, maxQueued: 2 });
    const running = deferredTask();
    const first = limiter.run(running.work);
    const queuedWork: string[] = [];
    const late = limiter.run(
      async () => {
        queuedWork.push('late');
        return 'late';
      },
      { deadlineAt: performance.now() + 30, timeoutMs: 30 },
    );
    const patient = limiter.run(async () => 'patient');
    await expect(late).rejects.toMatchObject({ code: 'timeout', status: 503, message: expect.stringContaining('30 ms') });
    // The running transform has not finished: the 503 came from the deadline, not from the slot.
    expect(limiter.stats()).toEqual({ active: 1, queued: 1 });
    running.finish('done');
    await expect(Promise.all([first, patient])).resolves.toEqual(['done', 'patient']);
    expect(queuedWork).toEqual([]);
    await expect(limiter.run(async () => 'x', { deadlineAt: performance.now() - 1, timeoutMs: 5 })).rejects.toMatchObject({
      code: 'timeout',
    });
  });

  it('rejects nonsensical bounds at construction', () => {
    expect(() => createTransformLimiter({ maxConcurrent: 0, maxQueued: 1 })).toThrow(RangeError);
    expect(() => createTransformLimiter({ maxConcurrent: 1, maxQueued: -1 })).toThrow(RangeError);
  });
});

describe('configureSharp', () => {
  it('uses one libvips thread per image and turns the operation cache off', () => {
    expect(configureSharp()).toEqual({ concurrency: 1, cacheEnabled: false });
    expect(sharp.concurrency()).toBe(1);
    const cache = sharp.cache();
    expect([cache.memory.max, cache.files.max, cache.items.max]).toEqual([0, 0, 0]);
  });
});

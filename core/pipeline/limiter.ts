/**
 * Bounds the transforms in flight. Over `maxConcurrent` a transform waits in a FIFO queue; over
 * `maxQueued` waiting it is refused at once with a 503 + Retry-After, because a long queue only
 * turns overload into timeouts. A waiter whose deadline passes leaves the queue with its 503 at
 * that moment: the deadline counts from the request's arrival, queue wait included.
 */
import sharp from 'sharp';
import { ImgplaneError } from '../errors.ts';
import { transformTimeout } from './decode-error.ts';

export interface TransformLimiterOptions {
  maxConcurrent: number;
  maxQueued: number;
}

export interface RunOptions {
  /** `performance.now()` by which the work must have finished, queue wait included. */
  deadlineAt: number;
  /** The time budget the deadline stands for, named in the 503. */
  timeoutMs: number;
}

export interface TransformLimiter {
  run<T>(work: () => Promise<T>, options?: RunOptions): Promise<T>;
  stats(): { active: number; queued: number };
}

interface Waiter {
  admit(): void;
}

export function createTransformLimiter({ maxConcurrent, maxQueued }: TransformLimiterOptions): TransformLimiter {
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError('maxConcurrent must be an integer >= 1');
  if (!Number.isInteger(maxQueued) || maxQueued < 0) throw new RangeError('maxQueued must be an integer >= 0');
  let active = 0;
  const waiting: Waiter[] = [];

  function release(): void {
    const next = waiting.shift();
    // Hand the slot straight to the next waiter so `active` never dips and lets a newcomer jump the queue.
    if (next) next.admit();
    else active -= 1;
  }

  function wait(options: RunOptions | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit() {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer =
        options &&
        setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(transformTimeout(options.timeoutMs));
        }, Math.max(0, options.deadlineAt - performance.now()));
      waiting.push(waiter);
    });
  }

  async function run<T>(work: () => Promise<T>, options?: RunOptions): Promise<T> {
    if (options && performance.now() >= options.deadlineAt) throw transformTimeout(options.timeoutMs);
    if (active < maxConcurrent) {
      active += 1;
    } else if (waiting.length < maxQueued) {
      await wait(options);
    } else {
      throw new ImgplaneError('unavailable', 'transform queue full', { retryAfterSeconds: 1 });
    }
    try {
      return await work();
    } finally {
      release();
    }
  }

  return { run, stats: () => ({ active, queued: waiting.length }) };
}

export interface SharpSettings {
  /** libvips threads per image. */
  concurrency: number;
  cacheEnabled: boolean;
}

/**
 * Process-wide sharp settings, applied once at startup by the server and the worker, next to the
 * limiter because together they decide how much image work runs at once.
 * - concurrency 1: parallelism comes from serving several requests at once (bounded by the
 *   transform limiter and libuv's pool of 4 threads), which beats splitting one image across
 *   threads for throughput on small machines; it is also sharp's own default on glibc.
 * - libvips operation cache off: it keys on input buffers we never reuse, and the variant caches
 *   above the pipeline already remember results, so it would only hold memory.
 */
export function configureSharp(): SharpSettings {
  sharp.concurrency(1);
  sharp.cache(false);
  return { concurrency: sharp.concurrency(), cacheEnabled: false };
}

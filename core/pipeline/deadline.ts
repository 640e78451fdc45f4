/**
 * The wall-clock budget of one transform plus the caller's abort signal. Checked between pipeline
 * steps, and raced against the long awaits (header read, encode): sharp's own `.timeout()` stops
 * libvips eventually, but only in whole seconds and only while pixels flow, so this guard is what
 * makes the caller's answer arrive on time.
 */
import { ImgplaneError } from '../errors.ts';
import { transformTimeout } from './decode-error.ts';

export interface Deadline {
  /** Throws if the budget is spent or the caller aborted. */
  check(): void;
  /** Settles with `work`, or rejects as soon as the budget is spent or the caller aborts. */
  race<T>(work: Promise<T>): Promise<T>;
}

export function createDeadline(timeoutMs: number, signal?: AbortSignal): Deadline {
  const expiresAt = performance.now() + timeoutMs;
  // Node's timers run on the event loop's cached millisecond clock and may fire a fraction of a
  // millisecond before performance.now() reaches expiresAt; once the race has said "timed out",
  // check() must say so too.
  let expired = false;
  const aborted = () => new ImgplaneError('unavailable', 'image transform aborted', { cause: signal?.reason });

  function check(): void {
    if (signal?.aborted) throw aborted();
    if (expired || performance.now() >= expiresAt) throw transformTimeout(timeoutMs);
  }

  function race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => settle(() => reject(aborted()));
      const timer = setTimeout(
        () => {
          expired = true;
          settle(() => reject(transformTimeout(timeoutMs)));
        },
        Math.max(0, expiresAt - performance.now()),
      );
      function settle(finish: () => void): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        finish();
      }
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      // Once settled, later outcomes of `work` land here and are ignored: no unhandled rejection.
      work.then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  return { check, race };
}

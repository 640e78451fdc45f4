/**
 * The zero-config KeyedLock: an in-process mutex per key. Enough for a single server process;
 * with several processes, RedlockKeyedLock extends the same guarantee across them.
 */
import type { KeyedLock } from './types.ts';

export class LocalKeyedLock implements KeyedLock {
  /** Per key, the promise that settles when the last queued holder releases. */
  readonly #tails = new Map<string, Promise<void>>();

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => released);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // Only the last holder in the queue removes the key, so the map does not grow forever.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Number of keys held or waited for (for tests: no key outlives its holders). */
  get size(): number {
    return this.#tails.size;
  }

  async close(): Promise<void> {
    // Nothing to release: the locks die with the process.
  }
}

/**
 * Collapses concurrent calls for the same key into one execution: the first caller runs the work,
 * everyone arriving before it settles gets the same result or error. The key is free again as
 * soon as it settles, so a later call (e.g. after a failure) runs afresh.
 */
export class SingleFlight {
  readonly #inFlight = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    // Sound because every caller of one key asks for the same work, hence the same T.
    if (running) return running as Promise<T>;
    // Started a microtask later so that even a synchronous throw settles after the key is
    // registered, and `finally` never runs before the entry it removes exists.
    const execution = Promise.resolve()
      .then(() => work())
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, execution);
    return execution;
  }

  /** Whether work for `key` is running now (a caller that must not wait can look before joining). */
  has(key: string): boolean {
    return this.#inFlight.has(key);
  }

  /** Number of keys currently executing (for metrics and tests). */
  get size(): number {
    return this.#inFlight.size;
  }
}

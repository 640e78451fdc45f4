/**
 * Counts a hot path keeps in plain fields and hands over to their recorders (usage, variant
 * access, metrics) only when something is about to read those: a flush, a scrape, a close. The
 * memory-hit path (server/image-hits.ts) then adds two numbers per answer instead of building a
 * row key, a label hash and a counts object for each of three recorders.
 */
export class PendingCounts {
  readonly #folds = new Set<() => void>();

  /** Registers what hands a hot path's counts over; returns the function that unregisters it. */
  register(fold: () => void): () => void {
    this.#folds.add(fold);
    return () => void this.#folds.delete(fold);
  }

  /** Hands every pending count over to its recorders. Whatever reads them calls this first. */
  fold(): void {
    for (const fold of this.#folds) fold();
  }
}

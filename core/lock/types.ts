/**
 * Runs `work` at most once at a time per key. Locks here are for efficiency, not correctness: a
 * lost race repeats a deterministic transform and the registry upsert makes the second store a
 * no-op, so implementations may fall back to running `work` unlocked (e.g. Redis down).
 */
export interface KeyedLock {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A KeyedLock across processes, on Redis via Redlock. It exists for efficiency: it keeps N
 * servers from rendering the same new variant N times. It is not needed for correctness, because
 * a transform is deterministic and registering a variant is an idempotent upsert, so two racing
 * holders just store the same bytes twice. Hence every way Redis can fail (down, slow, lock held
 * too long by a stuck peer) ends with running the work unlocked rather than failing the request.
 */
import type { Redis } from 'ioredis';
import Redlock, { ExecutionError, ResourceLockedError } from 'redlock';
import type { KeyedLock } from './types.ts';

export interface RedlockKeyedLockOptions {
  /** Prepended to the key (default `lock:variant:`). */
  keyPrefix?: string;
  /** Lock lifetime, extended automatically while work runs (default 5000 ms): a crashed holder frees it within this. */
  lockTtlMs?: number;
  /** How long to wait for another holder before running the work anyway (default 10000 ms). */
  acquireTimeoutMs?: number;
  /** Pause between acquisition attempts while the lock is held elsewhere (default 100 ms ± jitter). */
  retryDelayMs?: number;
  retryJitterMs?: number;
}

type Outcome<T> = { settled: true; ok: true; value: T } | { settled: true; ok: false; error: unknown };

export class RedlockKeyedLock implements KeyedLock {
  readonly #clients: readonly Redis[];
  readonly #redlock: Redlock;
  readonly #keyPrefix: string;
  readonly #lockTtlMs: number;
  readonly #acquireTimeoutMs: number;
  readonly #retryDelayMs: number;
  readonly #retryJitterMs: number;
  #closed = false;

  /** The clients are the caller's (usually shared with the cache); `close` does not quit them. */
  constructor(clients: Redis | readonly Redis[], options: RedlockKeyedLockOptions = {}) {
    this.#clients = Array.isArray(clients) ? clients : [clients as Redis];
    this.#keyPrefix = options.keyPrefix ?? 'lock:variant:';
    this.#lockTtlMs = options.lockTtlMs ?? 5_000;
    this.#acquireTimeoutMs = options.acquireTimeoutMs ?? 10_000;
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.#retryJitterMs = options.retryJitterMs ?? 50;
    if (!Number.isInteger(this.#lockTtlMs) || this.#lockTtlMs < 1_000) {
      throw new RangeError('lockTtlMs must be an integer of at least 1000 ms');
    }
    this.#redlock = new Redlock(this.#clients, {
      // These settings govern extension and release, which must give up fast when Redis is gone
      // (the lock expires by itself); acquisition retries are driven by withLock below.
      retryCount: 2,
      retryDelay: 50,
      retryJitter: 25,
      automaticExtensionThreshold: Math.min(500, Math.floor(this.#lockTtlMs / 4)),
    });
    // Redlock emits every failed vote, including plain contention; an unhandled 'error' event
    // would crash the process, and connection trouble is already logged by the Redis client.
    this.#redlock.on('error', () => undefined);
  }

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const resource = this.#keyPrefix + key;
    const deadline = Date.now() + this.#acquireTimeoutMs;
    while (this.#redisUsable()) {
      const attempt = await this.#tryOnce(resource, work);
      if (attempt.settled) {
        if (attempt.ok) return attempt.value;
        throw attempt.error;
      }
      if (!attempt.heldElsewhere || Date.now() >= deadline) break;
      await sleep(this.#retryDelayMs + Math.round((Math.random() * 2 - 1) * this.#retryJitterMs));
    }
    return work();
  }

  /** Stops using Redis: later calls run their work unlocked. The clients stay open. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  /**
   * One acquisition attempt with redlock's `using` (which keeps extending the lock while work
   * runs). The work's own outcome is captured separately, because `using` rejects when the final
   * release fails, and a finished render must not be lost to a Redis hiccup after it.
   */
  async #tryOnce<T>(resource: string, work: () => Promise<T>): Promise<Outcome<T> | { settled: false; heldElsewhere: boolean }> {
    let outcome: Outcome<T> | undefined;
    try {
      await this.#redlock.using([resource], this.#lockTtlMs, { retryCount: 0 }, async () => {
        try {
          outcome = { settled: true, ok: true, value: await work() };
        } catch (error) {
          outcome = { settled: true, ok: false, error };
        }
      });
    } catch (error) {
      if (outcome === undefined) return { settled: false, heldElsewhere: await isHeldElsewhere(error) };
    }
    // Assigned by the routine whenever `using` got as far as running it.
    return outcome ?? { settled: false, heldElsewhere: false };
  }

  #redisUsable(): boolean {
    if (this.#closed) return false;
    const ready = this.#clients.filter((client) => client.status === 'ready').length;
    return ready > this.#clients.length / 2;
  }
}

/** True when acquisition failed only because the lock is taken, not because Redis failed. */
async function isHeldElsewhere(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError)) return false;
  const lastAttempt = error.attempts.at(-1);
  if (lastAttempt === undefined) return false;
  const votesAgainst = [...(await lastAttempt).votesAgainst.values()];
  return votesAgainst.length > 0 && votesAgainst.every((vote) => vote instanceof ResourceLockedError);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

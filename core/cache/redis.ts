/**
 * The shared variant cache in Redis, between the in-process LRU and storage. Optional and never
 * in the way: every failure is a miss or a no-op, and after one a cool-down keeps requests off
 * Redis entirely, so a dead Redis costs no time per request.
 */
import type { Redis } from 'ioredis';
import { CoolDown } from './cool-down.ts';
import type { CachedVariant, SharedVariantCache } from './types.ts';
import { decodeVariant, encodeVariant } from './variant-codec.ts';

export interface RedisVariantCacheOptions {
  /** Prepended to every variant key (default `imgplane:variant:`). */
  keyPrefix?: string;
  /** Default 3600: variants are immutable, the TTL only makes room for newer ones. */
  ttlSeconds?: number;
  /** Bodies above this are not stored (default 4 MiB): they would crowd Redis memory. */
  maxValueBytes?: number;
  /** How long to leave Redis alone after a failure (default 1000 ms). */
  coolDownMs?: number;
}

/** Counters for metrics. `bypassed` counts calls answered without Redis (down or cooling down). */
export interface RedisCacheStats {
  hits: number;
  misses: number;
  errors: number;
  bypassed: number;
}

export class RedisVariantCache implements SharedVariantCache {
  readonly #client: Redis;
  readonly #keyPrefix: string;
  readonly #ttlSeconds: number;
  readonly #maxValueBytes: number;
  readonly #coolDown: CoolDown;
  readonly #stats: RedisCacheStats = { hits: 0, misses: 0, errors: 0, bypassed: 0 };
  #closed = false;

  /** The client is the caller's (it is usually shared with the lock); `close` does not quit it. */
  constructor(client: Redis, options: RedisVariantCacheOptions = {}) {
    this.#client = client;
    this.#keyPrefix = options.keyPrefix ?? 'imgplane:variant:';
    this.#ttlSeconds = options.ttlSeconds ?? 3600;
    this.#maxValueBytes = options.maxValueBytes ?? 4 * 1024 * 1024;
    this.#coolDown = new CoolDown(options.coolDownMs ?? 1000);
  }

  async get(key: string): Promise<CachedVariant | undefined> {
    if (!this.#usable()) {
      this.#stats.bypassed += 1;
      this.#stats.misses += 1;
      return undefined;
    }
    try {
      const raw = await this.#client.getBuffer(this.#keyPrefix + key);
      const value = raw === null ? undefined : decodeVariant(raw);
      // A value we cannot read is as good as absent; the next set overwrites it.
      if (raw !== null && value === undefined) this.#stats.errors += 1;
      this.#stats[value === undefined ? 'misses' : 'hits'] += 1;
      return value;
    } catch {
      this.#fail();
      this.#stats.misses += 1;
      return undefined;
    }
  }

  async set(key: string, value: CachedVariant): Promise<void> {
    if (value.body.length > this.#maxValueBytes) return;
    if (!this.#usable()) {
      this.#stats.bypassed += 1;
      return;
    }
    try {
      await this.#client.set(this.#keyPrefix + key, encodeVariant(value), 'EX', this.#ttlSeconds);
    } catch {
      this.#fail();
    }
  }

  /** Unlike get/set, tried even while cooling down: a purge should reach Redis if it can. */
  async delete(keys: readonly string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    if (this.#closed || this.#client.status !== 'ready') return false;
    try {
      await this.#client.del(...keys.map((key) => this.#keyPrefix + key));
      return true;
    } catch {
      this.#fail();
      return false;
    }
  }

  /** Stops using Redis (late calls during shutdown become misses); the client stays open. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  stats(): Readonly<RedisCacheStats> {
    return { ...this.#stats };
  }

  #usable(): boolean {
    // `status` is 'ready' only on a live connection: checking it avoids even a rejected command.
    return !this.#closed && this.#client.status === 'ready' && !this.#coolDown.active;
  }

  #fail(): void {
    this.#stats.errors += 1;
    this.#coolDown.trip();
  }
}

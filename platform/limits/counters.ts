/**
 * The counters behind rates and quotas: rate-limiter-flexible limiters, in Redis when there is one
 * (atomic Lua, shared by every instance) with an in-memory insurance limiter taking over at once
 * while Redis is unreachable, in memory only without Redis. One limiter per (name, points),
 * because the library fixes the points per limiter; the Redis keys do not include the points, so a
 * changed limit applies to the running window.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface CounterOptions {
  /** Window (or, for daily quotas keyed by day, key lifetime) in seconds. */
  durationSeconds: number;
  /** Over `points`, refuse from memory for `durationSeconds` without asking Redis again. */
  blockInMemory?: boolean;
}

export class Counters {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly redis: Redis | undefined,
    private readonly keyPrefix: string,
  ) {}

  get(name: string, points: number, options: CounterOptions): RateLimiterAbstract {
    const id = `${name}:${points}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const common = { points, duration: options.durationSeconds, keyPrefix: `${this.keyPrefix}:${name}` };
      const memory = new RateLimiterMemory(common);
      limiter = this.redis
        ? new RateLimiterRedis({
            ...common,
            storeClient: this.redis,
            insuranceLimiter: memory,
            // Redis down: count in memory at once instead of waiting for a reconnect
            rejectIfRedisNotReady: true,
            ...(options.blockInMemory ? { inMemoryBlockOnConsumed: points + 1, inMemoryBlockDuration: options.durationSeconds } : {}),
          })
        : memory;
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

/**
 * The Redis connection used by the shared variant cache and the variant lock. Redis is an
 * optimisation here, never a dependency: when it is down, commands must fail at once (so callers
 * fall back to the layers below) instead of queueing or hanging a request.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** Where connection state changes are reported; Fastify's pino logger fits, so does `console`. */
export interface RedisStateLogger {
  warn(message: string): void;
  info(message: string): void;
}

export interface CreateRedisClientOptions {
  logger?: RedisStateLogger;
  /** Overrides applied last, e.g. a shorter `commandTimeout` or another `retryStrategy`. */
  redisOptions?: RedisOptions;
}

/** Longest pause between reconnection attempts: a recovered Redis is back in use within this. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/** Exponential backoff from 100 ms, capped; never gives up, since Redis may come back any time. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), MAX_RECONNECT_DELAY_MS);
}

const FAIL_FAST_OPTIONS: RedisOptions = {
  // Without a connection a command is rejected immediately instead of waiting in a queue.
  enableOfflineQueue: false,
  // A command caught by a dropped connection fails after one reconnection attempt, not twenty.
  maxRetriesPerRequest: 1,
  // A half-open socket (peer gone without FIN) would otherwise hang commands indefinitely.
  commandTimeout: 200,
  connectTimeout: 1_000,
  retryStrategy: reconnectDelayMs,
};

export function createRedisClient(url: string, options: CreateRedisClientOptions = {}): Redis {
  const client = new Redis(url, { ...FAIL_FAST_OPTIONS, ...options.redisOptions });
  reportStateChanges(client, options.logger ?? console);
  return client;
}

/**
 * Logs when Redis goes away and when it comes back, not every failed reconnection attempt: a dead
 * Redis retries every two seconds forever, and one line per attempt would drown the logs. The
 * 'error' listener is also what keeps ioredis from raising unhandled 'error' events.
 */
function reportStateChanges(client: Redis, logger: RedisStateLogger): void {
  let reachable: boolean | undefined;
  const markUnreachable = (reason: string): void => {
    if (reachable !== false) logger.warn(`Redis unavailable (${reason}); caching and locking continue without it`);
    reachable = false;
  };
  client.on('error', (error: Error) => markUnreachable(error.message));
  // A peer that closes cleanly emits no 'error'; 'reconnecting' is not emitted after our own quit().
  client.on('reconnecting', () => markUnreachable('connection closed'));
  client.on('ready', () => {
    if (reachable === false) logger.info('Redis reachable again');
    reachable = true;
  });
}

/**
 * Redis clients for tests of the cache and the lock: built by the production factory (so the
 * fail-fast options are what gets tested), quiet, and optionally routed through a cuttable proxy.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { createRedisClient, type RedisStateLogger } from '../../core/redis.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export const silentLogger: RedisStateLogger = { warn: () => undefined, info: () => undefined };

/** Resolves once `condition` holds; rejects after `timeoutMs` so a broken test fails, not hangs. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function connectTestRedis(url: string, redisOptions: RedisOptions = {}): Promise<Redis> {
  const client = createRedisClient(url, { logger: silentLogger, redisOptions });
  await waitFor(() => client.status === 'ready');
  return client;
}

/** A URL reaching the same Redis through a proxy the test can cut. */
export async function proxiedRedisUrl(url: string): Promise<{ url: string; proxy: TcpProxy }> {
  const target = new URL(url);
  const proxy = await startTcpProxy(Number(target.port || 6379), target.hostname);
  target.port = String(proxy.port);
  return { url: target.toString(), proxy };
}

/**
 * Runs `use` with a client whose connection the test can cut, then disconnects and closes the
 * proxy. The client reconnects quickly so recovery tests stay short.
 */
export async function withProxiedRedis<T>(url: string, use: (client: Redis, proxy: TcpProxy) => Promise<T>): Promise<T> {
  const proxied = await proxiedRedisUrl(url);
  const client = await connectTestRedis(proxied.url, { retryStrategy: () => 50 });
  try {
    return await use(client, proxied.proxy);
  } finally {
    client.disconnect();
    await proxied.proxy.close();
  }
}

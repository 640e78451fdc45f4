import type { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { proxiedRedisUrl, silentLogger, waitFor } from '../test/support/redis-test-client.ts';
import { createRedisClient, reconnectDelayMs } from './redis.ts';

const redisUrl = inject('redisUrl');

describe('reconnectDelayMs', () => {
  it('backs off exponentially from 100 ms and caps at 2 s', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(reconnectDelayMs)).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });
});

describe('createRedisClient without a server', () => {
  it('fails a command at once instead of queueing it while disconnected', async () => {
    const client = createRedisClient('redis://127.0.0.1:1', { logger: silentLogger });
    try {
      // Refused by the client itself, not after a queue wait or a connection timeout.
      await expect(client.get('k')).rejects.toThrow("Stream isn't writeable and enableOfflineQueue options is false");
    } finally {
      client.disconnect();
    }
  });
});

describe.skipIf(!redisUrl)('createRedisClient on real Redis', () => {
  it('logs once when Redis goes away and once when it is back, not per reconnection attempt', async () => {
    const { url, proxy } = await proxiedRedisUrl(redisUrl);
    const lines: string[] = [];
    const logger = { warn: (m: string) => lines.push(`warn ${m}`), info: (m: string) => lines.push(`info ${m}`) };
    let client: Redis | undefined;
    try {
      client = createRedisClient(url, { logger, redisOptions: { retryStrategy: () => 20 } });
      const connected = client;
      await waitFor(() => connected.status === 'ready');
      let attempts = 0;
      connected.on('reconnecting', () => (attempts += 1));
      proxy.cut();
      await waitFor(() => attempts >= 5);
      proxy.restore();
      await waitFor(() => connected.status === 'ready');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^warn Redis unavailable/);
      expect(lines[1]).toBe('info Redis reachable again');
    } finally {
      client?.disconnect();
      await proxy.close();
    }
  });
});

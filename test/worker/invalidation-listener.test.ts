/**
 * platform/invalidation.ts against real PostgreSQL NOTIFY. The caches are recording stand-ins; other
 * test files notify on the same channel meanwhile, so assertions look for this file's own ids.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  INVALIDATION_CHANNEL,
  applyInvalidation,
  listenForInvalidations,
  parseInvalidationMessage,
  type InvalidationTargets,
} from '../../platform/invalidation.ts';
import { createPool } from '../db/database.ts';

const pool = createPool(4);
afterAll(() => pool.end());

function recordingTargets(): { calls: string[]; targets: InvalidationTargets } {
  const calls: string[] = [];
  return {
    calls,
    targets: {
      pool,
      catalog: {
        forgetAsset: (id) => void calls.push(`asset:${id}`),
        forgetAllAssets: () => void calls.push('all-assets'),
        forgetSpaces: () => void calls.push('spaces'),
      },
      auth: { forgetAll: () => void calls.push('auth') },
      signing: { forgetKeys: () => void calls.push('signing') },
      memory: { delete: (key) => void calls.push(`variant:${key}`) },
    },
  };
}

const notify = (message: unknown) =>
  pool.query('select pg_notify($1, $2)', [INVALIDATION_CHANNEL, typeof message === 'string' ? message : JSON.stringify(message)]);

describe('parseInvalidationMessage', () => {
  it('reads the three kinds of message', () => {
    expect(parseInvalidationMessage('{"kind":"asset","id":"a1"}')).toEqual({ kind: 'asset', id: 'a1' });
    expect(parseInvalidationMessage('{"kind":"space"}')).toEqual({ kind: 'space' });
    expect(parseInvalidationMessage('{"kind":"keys"}')).toEqual({ kind: 'keys' });
  });

  it('reads a purge of variants by key', () => {
    expect(parseInvalidationMessage('{"kind":"variants","keys":["k1","k2"]}')).toEqual({ kind: 'variants', keys: ['k1', 'k2'] });
    expect(parseInvalidationMessage('{"kind":"variants","keys":[1]}')).toBeUndefined();
    expect(parseInvalidationMessage('{"kind":"variants"}')).toBeUndefined();
  });

  it('answers undefined for anything malformed instead of throwing', () => {
    for (const payload of [undefined, '', 'not json', 'null', '42', '{"kind":"asset"}', '{"kind":"asset","id":""}', '{"kind":"bogus"}']) {
      expect(parseInvalidationMessage(payload)).toBeUndefined();
    }
  });
});

describe('applyInvalidation', () => {
  it('evicts exactly the caches each kind names', () => {
    const { calls, targets } = recordingTargets();
    applyInvalidation(targets, { kind: 'asset', id: 'a1' });
    applyInvalidation(targets, { kind: 'space' });
    applyInvalidation(targets, { kind: 'keys' });
    applyInvalidation(targets, { kind: 'variants', keys: ['k1', 'k2'] });
    expect(calls).toEqual(['asset:a1', 'spaces', 'auth', 'signing', 'variant:k1', 'variant:k2']);
  });
});

describe('listenForInvalidations', () => {
  it('applies notifications sent after it resolves and skips malformed ones', async () => {
    const { calls, targets } = recordingTargets();
    const listener = await listenForInvalidations(targets);
    try {
      const assetId = randomUUID();
      await notify('{"kind":"asset"}');
      await notify({ kind: 'asset', id: assetId });
      await vi.waitFor(() => expect(calls).toContain(`asset:${assetId}`), { timeout: 2_000, interval: 20 });
      expect(calls).not.toContain('asset:undefined');
    } finally {
      await listener.close();
    }
  });

  it('reconnects after its connection is killed, forgets space and key caches, and listens again', async () => {
    const applicationName = `invalidation-test-${randomBytes(4).toString('hex')}`;
    const { calls, targets } = recordingTargets();
    const listener = await listenForInvalidations(targets, { applicationName, initialRetryMs: 20 });
    const backends = async () => {
      const { rows } = await pool.query<{ count: number }>(
        'select count(*)::int as count from pg_stat_activity where application_name = $1',
        [applicationName],
      );
      return rows[0]!.count;
    };
    try {
      await pool.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [applicationName]);
      const assetId = randomUUID();
      // Notifications sent while it is down are lost by design, so keep sending until one lands.
      await vi.waitFor(
        async () => {
          await notify({ kind: 'asset', id: assetId });
          expect(calls).toContain(`asset:${assetId}`);
        },
        { timeout: 5_000, interval: 50 },
      );
      expect(calls).toEqual(expect.arrayContaining(['all-assets', 'spaces', 'auth', 'signing']));
      expect(await backends()).toBe(1);
    } finally {
      await listener.close();
    }
    await vi.waitFor(async () => expect(await backends()).toBe(0), { timeout: 2_000, interval: 20 });
  });
});

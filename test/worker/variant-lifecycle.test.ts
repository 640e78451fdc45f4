/**
 * Access counting and the storage lifecycle of variants, end to end: real deliveries feed
 * access_count / last_accessed_at; the lifecycle run tiers idle variants and prunes never-served
 * ones (object and row), which are then rendered again on demand. A database of this file's own:
 * a lifecycle run acts on every variant in its database, other files' included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVariantLifecycle } from '../../worker/tasks/variant-lifecycle.ts';
import { createIsolatedDatabase, type IsolatedDatabase } from '../db/database.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { flatPicture, listFiles, uploadAsset, imageUrl } from '../http/delivery-fixtures.ts';
import type { AssetView } from '../../platform/assets/asset-service.ts';

let database: IsolatedDatabase;
let server: TestApp;
let org: TestOrganization;
let asset: AssetView;

beforeAll(async () => {
  database = await createIsolatedDatabase();
  server = await startTestApp({ config: { databaseUrl: database.url } });
  org = await createOrganization(server.platform, 'lifecycle');
  asset = await uploadAsset(server.baseUrl, org.tenants[0], await flatPicture(120, 90, '#2a7f62'));
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

const url = (ops: string) => imageUrl({ baseUrl: server.baseUrl, org, tenant: org.tenants[0], asset }, `${ops}.png`);

async function get(ops: string): Promise<string | null> {
  const response = await fetch(url(ops));
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return response.headers.get('x-cache');
}

async function variantRow(canonicalStart: string) {
  const { rows } = await server.db.query<{ id: string; access_count: string; last_accessed_at: Date | null; cache_tier: string; storage_key: string }>(
    `select id, access_count, last_accessed_at, cache_tier, storage_key from imgplane.derived_assets
      where asset_id = $1 and operations_canonical like $2`,
    [asset.id, `${canonicalStart}%`],
  );
  return rows[0];
}

describe('variant access and lifecycle', () => {
  it('counts every served request of a variant, memory hits included, in batches', async () => {
    const layers = [];
    for (let i = 0; i < 4; i += 1) layers.push(await get('w_31'));
    expect(layers).toEqual(['miss', 'hit-storage', 'hit-memory', 'hit-memory']);
    await server.platform.variants.settled();
    await server.platform.access.flush();
    const row = await variantRow('w_31-');
    expect(Number(row!.access_count)).toBe(4);
    expect(row!.last_accessed_at).toBeInstanceOf(Date);
  });

  it('moves idle variants to warm and cold tiers and prunes never-served ones, which render again', async () => {
    // w_44 is served recently and stays hot: this test makes all four itself.
    for (const ops of ['w_41', 'w_42', 'w_43', 'w_44']) await get(ops);
    await server.platform.variants.settled();
    await server.platform.access.flush();
    const pool = server.db;
    const [warm, cold, unused] = [await variantRow('w_41-'), await variantRow('w_42-'), await variantRow('w_43-')];
    await pool.query(`update imgplane.derived_assets set last_accessed_at = now() - interval '10 days' where id = $1`, [warm!.id]);
    await pool.query(`update imgplane.derived_assets set last_accessed_at = now() - interval '40 days' where id = $1`, [cold!.id]);
    await pool.query(
      `update imgplane.derived_assets set access_count = 0, last_accessed_at = null, created_at = now() - interval '100 days' where id = $1`,
      [unused!.id],
    );

    const outcome = await runVariantLifecycle(server.platform);
    expect(outcome.failed).toBe(0);
    expect(outcome.warmed).toBeGreaterThanOrEqual(1);
    expect(outcome.cooled).toBeGreaterThanOrEqual(1);
    expect(outcome.pruned).toBeGreaterThanOrEqual(1);
    expect((await variantRow('w_41-'))!.cache_tier).toBe('warm');
    expect((await variantRow('w_42-'))!.cache_tier).toBe('cold');
    expect((await variantRow('w_44-'))!.cache_tier).toBe('hot');
    expect(await variantRow('w_43-')).toBeUndefined();
    const storage = server.platform.config.storage;
    if (storage.kind !== 'local') throw new Error('expected local storage');
    const stored = await listFiles(`${storage.dir}/objects`);
    expect(stored.some((name) => name.endsWith(unused!.storage_key.split('/').pop()!))).toBe(false);

    // Pruned is not lost: the next request renders it again.
    server.platform.memory.clear();
    expect(await get('w_43')).toBe('miss');
    await server.platform.variants.settled();
    expect(await variantRow('w_43-')).toBeDefined();
  });
});

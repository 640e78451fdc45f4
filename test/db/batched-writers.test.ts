/**
 * The batched writers under concurrency: several processes flush overlapping batches at once (each
 * server has its own recorders). Unsorted, such batches deadlock; sorted, none may, and no
 * increment may be lost.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VariantAccessRecorder } from '../../platform/delivery/access-recorder.ts';
import { createPool, databaseUrl } from './database.ts';
import { randomHash, useSeededDatabase } from './seed.ts';

const db = useSeededDatabase();
const WRITERS = 6;
const ROUNDS = 15;

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = randomBytes(1)[0]! % (index + 1);
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

const errorCodes = (results: PromiseSettledResult<unknown>[]) =>
  results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as { code?: string }).code ?? result.reason)] : []));

describe('record_usage with concurrent writers', () => {
  it(`adds every increment of ${WRITERS} writers flushing overlapping batches, with no deadlock`, async () => {
    const spaces = [db.org, db.other].flatMap((fixture) => fixture.tenants.map((tenant) => ({ fixture, tenant })));
    const days = Array.from({ length: 8 }, (_, index) => `2023-01-${String(index + 1).padStart(2, '0')}`);
    const keys = spaces.flatMap(({ fixture, tenant }) =>
      days.map((day) => ({ day, organization_id: fixture.id, tenant_id: tenant.id, space_id: tenant.spaceId })),
    );
    const pools = Array.from({ length: WRITERS }, () => createPool(1));
    try {
      const results = await Promise.allSettled(
        pools.map(async (pool) => {
          for (let round = 0; round < ROUNDS; round++) {
            const batch = shuffled(keys).map((key) => ({ ...key, request_count: 1 }));
            await pool.query('select imgplane.record_usage($1)', [JSON.stringify(batch)]);
          }
        }),
      );
      expect(errorCodes(results)).toEqual([]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    const { rows } = await db.pool.query<{ total: string; monthly: string }>(
      `select u.request_count::text as total, m.request_count::text as monthly
         from imgplane.usage_metrics u
         join imgplane.usage_monthly m on m.space_id = u.space_id and m.month = '2023-01-01'
        where u.space_id = any ($1::uuid[]) and u.day between '2023-01-01' and '2023-01-08'`,
      [spaces.map(({ tenant }) => tenant.spaceId)],
    );
    expect(rows).toHaveLength(keys.length);
    expect(new Set(rows.map((row) => row.total))).toEqual(new Set([String(WRITERS * ROUNDS)]));
    expect(new Set(rows.map((row) => row.monthly))).toEqual(new Set([String(WRITERS * ROUNDS * days.length)]));
  });
});

describe('the variant access flush with concurrent writers', () => {
  const variants: { assetId: string; variantKey: string }[] = [];

  beforeAll(async () => {
    const { rows } = await db.pool.query<{ id: string }>('select id from imgplane.assets where organization_id = $1 order by id', [db.org.id]);
    for (const { id } of rows) {
      for (let index = 0; index < 12; index++) {
        const variantKey = randomHash();
        await db.pool.query(
          `select imgplane.register_variant($1, 1, $2, $3, 'webp', 'memory', $2, 100, $4, 100, 75, 5)`,
          [id, variantKey, `w_${index + 1}`, randomHash()],
        );
        variants.push({ assetId: id, variantKey });
      }
    }
  });

  afterAll(() => db.pool.query('delete from imgplane.derived_assets where variant_key = any ($1::char(64)[])', [variants.map((v) => v.variantKey)]));

  it(`counts every hit of ${WRITERS} recorders flushing overlapping batches, with no deadlock`, async () => {
    // The worker role as a startup parameter, as the platform's worker pool takes it.
    const asWorker = new URL(databaseUrl());
    asWorker.searchParams.set('options', '-c role=imgplane_worker');
    const pools = Array.from({ length: WRITERS }, () => createPool(1, asWorker.href));
    const recorders = pools.map((pool) => new VariantAccessRecorder(pool, 3_600_000));
    try {
      const results = await Promise.allSettled(
        recorders.map(async (recorder) => {
          for (let round = 0; round < ROUNDS; round++) {
            for (const variant of shuffled(variants)) recorder.record(variant.assetId, variant.variantKey);
            await recorder.flush();
          }
        }),
      );
      expect(errorCodes(results)).toEqual([]);
    } finally {
      await Promise.all(recorders.map((recorder) => recorder.close()));
      await Promise.all(pools.map((pool) => pool.end()));
    }
    const { rows } = await db.pool.query<{ hits: string }>(
      'select access_count::text as hits from imgplane.derived_assets where variant_key = any ($1::char(64)[])',
      [variants.map((variant) => variant.variantKey)],
    );
    expect(rows).toHaveLength(variants.length);
    expect(new Set(rows.map((row) => row.hits))).toEqual(new Set([String(WRITERS * ROUNDS)]));
  });

  it('stays a HOT update: no index of derived_assets covers a column the flush writes', async () => {
    const { rows } = await db.pool.query<{ index: string }>(
      `select i.indexrelid::regclass::text as index from pg_index i
        where i.indrelid = 'imgplane.derived_assets'::regclass
          and exists (select from pg_attribute a
                       where a.attrelid = i.indrelid and a.attname in ('access_count', 'last_accessed_at')
                         and (a.attnum = any (i.indkey)
                              or pg_get_expr(i.indexprs, i.indrelid) ~ a.attname
                              or pg_get_expr(i.indpred, i.indrelid) ~ a.attname))`,
    );
    expect(rows).toEqual([]);
  });
});

/** register_variant(): one row per asset and variant key, whoever wins the race. */
import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, attempt, connectClient, type RequestSettings } from './database.ts';
import { randomHash, useSeededDatabase } from './seed.ts';

const CONCURRENT_CALLERS = 20;
const REGISTER = 'select * from imgplane.register_variant($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)';

const db = useSeededDatabase();

function variantArguments(assetId: string, variantKey: string, outputFormat = 'webp'): unknown[] {
  return [assetId, variantKey, 'w_300', outputFormat, 'memory', `variants/${variantKey}`, 1234, randomHash(), 300, 200, 12];
}

interface DerivedRow {
  id: string;
  organization_id: string;
  tenant_id: string;
  space_id: string;
  output_format: string;
}

describe('register_variant', () => {
  it(`leaves exactly one row when ${CONCURRENT_CALLERS} connections register the same variant at once`, async () => {
    const assetId = db.org.tenants[0].privateAssetId;
    const variantKey = randomHash();
    // Separate connections, all open before the first call, so the calls really overlap.
    const clients = await Promise.all(
      Array.from({ length: CONCURRENT_CALLERS }, async () => {
        const client = await connectClient();
        await client.query(`set role imgplane_worker`);
        return client;
      }),
    );
    try {
      const results = await Promise.all(
        clients.map((client, index) => client.query<DerivedRow>(REGISTER, variantArguments(assetId, variantKey, `format-${index}`))),
      );
      const returnedIds = new Set(results.map((result) => result.rows[0]?.id));
      const { rows } = await db.pool.query<DerivedRow>('select * from imgplane.derived_assets where asset_id = $1 and variant_key = $2', [assetId, variantKey]);
      expect(rows).toHaveLength(1);
      expect([...returnedIds]).toEqual([rows[0]!.id]);
      // every caller got the winner's row, not its own arguments
      expect(new Set(results.map((result) => result.rows[0]?.output_format))).toEqual(new Set([rows[0]!.output_format]));
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it('copies organization, tenant and space from the asset', async () => {
    const tenant = db.org.tenants[1];
    const { rows } = await db.pool.query<DerivedRow>(REGISTER, variantArguments(tenant.publicAssetId, randomHash()));
    expect(rows[0]).toMatchObject({ organization_id: db.org.id, tenant_id: tenant.id, space_id: tenant.spaceId });
  });

  it('lets a tenant key register variants of its own assets', async () => {
    const settings: RequestSettings = { role: 'imgplane_tenant', organizationId: db.org.id, tenantId: db.org.tenants[0].id, scopes: ALL_SCOPES };
    const outcome = await attempt(db.pool, settings, REGISTER, variantArguments(db.org.tenants[0].privateAssetId, randomHash()));
    expect(outcome).toMatchObject({ ok: true, rowCount: 1 });
  });

  it('fails with no_data_found for an asset the caller cannot read', async () => {
    const settings: RequestSettings = { role: 'imgplane_tenant', organizationId: db.org.id, tenantId: db.org.tenants[0].id, scopes: ALL_SCOPES };
    const outcome = await attempt(db.pool, settings, REGISTER, variantArguments(db.org.tenants[1].privateAssetId, randomHash()));
    expect(outcome).toEqual({ ok: false, code: 'P0002' });
  });
});

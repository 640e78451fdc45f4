/**
 * effective_policy(), resolve_preset() and delivery_context(): organization, tenant and space
 * settings merge key by key with the nearest scope winning.
 */
import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, asRequest, type RequestSettings } from './database.ts';
import { useSeededDatabase } from './seed.ts';

const db = useSeededDatabase();

type Scope = 'organization' | 'tenant' | 'space';

/** Scope columns of the first tenant's organization, tenant or space. */
function scopeIds(scope: Scope): [string, string | null, string | null] {
  const tenant = db.org.tenants[0];
  if (scope === 'organization') return [db.org.id, null, null];
  return scope === 'tenant' ? [db.org.id, tenant.id, null] : [db.org.id, tenant.id, tenant.spaceId];
}

async function setPolicy(scope: Scope, key: string, value: unknown): Promise<void> {
  await db.pool.query(
    `insert into imgplane.policies (organization_id, tenant_id, space_id, key, value) values ($1, $2, $3, $4, $5)
     on conflict (organization_id, tenant_id, space_id, key) do update set value = excluded.value`,
    [...scopeIds(scope), key, JSON.stringify(value)],
  );
}

async function setPreset(scope: Scope, name: string, operations: Record<string, unknown>): Promise<void> {
  await db.pool.query(
    `insert into imgplane.presets (organization_id, tenant_id, space_id, name, operations) values ($1, $2, $3, $4, $5)`,
    [...scopeIds(scope), name, JSON.stringify(operations)],
  );
}

async function effectivePolicy(spaceId: string): Promise<Record<string, unknown>> {
  const { rows } = await db.pool.query<{ policy: Record<string, unknown> }>('select imgplane.effective_policy($1) as policy', [spaceId]);
  return rows[0]!.policy;
}

describe('effective_policy', () => {
  it('returns an organization-level setting for a space that does not override it', async () => {
    await setPolicy('organization', 'org_only', 1);
    expect(await effectivePolicy(db.org.tenants[0].spaceId)).toMatchObject({ org_only: 1 });
  });

  it('lets a tenant setting override the organization for that tenant only', async () => {
    await setPolicy('organization', 'tenant_override', 'org');
    await setPolicy('tenant', 'tenant_override', 'tenant');
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).tenant_override).toBe('tenant');
    expect((await effectivePolicy(db.org.tenants[1].spaceId)).tenant_override).toBe('org');
  });

  it('lets a space setting override tenant and organization', async () => {
    await setPolicy('organization', 'space_override', 1);
    await setPolicy('tenant', 'space_override', 2);
    await setPolicy('space', 'space_override', { nested: 3 });
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).space_override).toEqual({ nested: 3 });
  });

  it('removes a key that a nearer scope sets to JSON null, and restores it when that override goes', async () => {
    await setPolicy('organization', 'removable', 10);
    await setPolicy('space', 'removable', null);
    expect(await effectivePolicy(db.org.tenants[0].spaceId)).not.toHaveProperty('removable');
    await db.pool.query(`delete from imgplane.policies where space_id = $1 and key = 'removable'`, [db.org.tenants[0].spaceId]);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).removable).toBe(10);
  });

  it('never mixes in settings of another organization', async () => {
    await db.pool.query(`insert into imgplane.policies (organization_id, key, value) values ($1, 'foreign_key', '1')`, [db.other.id]);
    expect(await effectivePolicy(db.org.tenants[0].spaceId)).not.toHaveProperty('foreign_key');
  });

  it('returns {} to a tenant key asking about a space of another organization', async () => {
    const settings: RequestSettings = { role: 'imgplane_tenant', organizationId: db.other.id, scopes: ALL_SCOPES };
    const policy = await asRequest(db.pool, settings, async (client) => {
      const { rows } = await client.query<{ policy: unknown }>('select imgplane.effective_policy($1) as policy', [db.org.tenants[0].spaceId]);
      return rows[0]!.policy;
    });
    expect(policy).toEqual({});
  });
});

describe('resolve_preset', () => {
  it('resolves a preset from the nearest scope that defines it', async () => {
    await setPreset('organization', 'banner', { w: 1000 });
    await setPreset('tenant', 'banner', { w: 800 });
    const resolve = async (spaceId: string) =>
      (await db.pool.query<{ ops: unknown }>(`select imgplane.resolve_preset($1, 'banner') as ops`, [spaceId])).rows[0]!.ops;
    expect(await resolve(db.org.tenants[0].spaceId)).toEqual({ w: 800 });
    expect(await resolve(db.org.tenants[1].spaceId)).toEqual({ w: 1000 });
  });

  it('returns null for a preset no scope defines', async () => {
    const { rows } = await db.pool.query(`select imgplane.resolve_preset($1, 'nope') as ops`, [db.org.tenants[0].spaceId]);
    expect(rows[0]).toEqual({ ops: null });
  });
});

describe('delivery_context', () => {
  const context = (orgSlug: string, tenantSlug: string, spaceSlug: string) =>
    asRequest(db.pool, { role: 'imgplane_anonymous' }, async (client) => {
      const { rows } = await client.query('select * from imgplane.delivery_context($1, $2, $3)', [orgSlug, tenantSlug, spaceSlug]);
      return rows;
    });

  it('gives anonymous callers the ids, policy and presets of a space addressed by its slugs', async () => {
    await setPreset('space', 'square', { w: 64, h: 64 });
    const tenant = db.org.tenants[0];
    const rows = await context(db.org.slug, tenant.slug, tenant.spaceSlug);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      organization_id: db.org.id,
      tenant_id: tenant.id,
      space_id: tenant.spaceId,
      policy: { max_width: 4000 },
      presets: { thumb: { w: 100 }, square: { w: 64, h: 64 } },
    });
  });

  it('answers no row for slugs that do not belong together', async () => {
    expect(await context(db.other.slug, db.org.tenants[0].slug, db.org.tenants[0].spaceSlug)).toEqual([]);
  });

  it('answers no row for a suspended space', async () => {
    const tenant = db.org.tenants[1];
    await db.pool.query(`update imgplane.spaces set status = 'suspended' where id = $1`, [tenant.spaceId]);
    expect(await context(db.org.slug, tenant.slug, tenant.spaceSlug)).toEqual([]);
  });
});

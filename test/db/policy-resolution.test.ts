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

/** The SQL error of a statement, or undefined when it succeeds. */
async function failure(work: Promise<unknown>): Promise<{ code?: string; message: string; detail?: string } | undefined> {
  return work.then(
    () => undefined,
    (error: { code?: string; message: string; detail?: string }) => error,
  );
}

describe('effective_policy: preferences (nearest scope wins)', () => {
  it('includes every key of the catalog with its platform default when nothing is set', async () => {
    const { rows } = await db.pool.query<{ key: string; builtin_default: unknown }>('select key, builtin_default from imgplane.policy_keys');
    const policy = await effectivePolicy(db.org.tenants[1].spaceId);
    for (const row of rows.filter((row) => row.key !== 'max_width')) expect(policy[row.key], row.key).toEqual(row.builtin_default);
  });

  it('returns an organization-level setting for a space that does not override it', async () => {
    await setPolicy('organization', 'quality_jpeg', 71);
    expect(await effectivePolicy(db.org.tenants[0].spaceId)).toMatchObject({ quality_jpeg: 71 });
  });

  it('lets a tenant setting override the organization for that tenant only', async () => {
    await setPolicy('organization', 'quality_webp', 60);
    await setPolicy('tenant', 'quality_webp', 90);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).quality_webp).toBe(90);
    expect((await effectivePolicy(db.org.tenants[1].spaceId)).quality_webp).toBe(60);
  });

  it('lets a space setting override tenant and organization', async () => {
    await setPolicy('organization', 'allowed_formats', ['jpeg']);
    await setPolicy('tenant', 'allowed_formats', ['png']);
    await setPolicy('space', 'allowed_formats', ['webp', 'avif']);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).allowed_formats).toEqual(['webp', 'avif']);
  });

  it('falls back to the platform default where a nearer scope sets JSON null, and restores the value when that goes', async () => {
    await setPolicy('organization', 'quality_avif', 10);
    await setPolicy('space', 'quality_avif', null);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).quality_avif).toBe(55);
    await db.pool.query(`delete from imgplane.policies where space_id = $1 and key = 'quality_avif'`, [db.org.tenants[0].spaceId]);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).quality_avif).toBe(10);
  });

  it('never mixes in settings of another organization', async () => {
    await db.pool.query(`insert into imgplane.policies (organization_id, key, value) values ($1, 'default_access', '"private"')`, [db.other.id]);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).default_access).toBe('public');
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

describe('effective_policy: limits (a scope may only tighten)', () => {
  it('lets an organization raise a limit above the platform default up to the platform maximum', async () => {
    await setPolicy('organization', 'max_height', 8000);
    expect((await effectivePolicy(db.org.tenants[1].spaceId)).max_height).toBe(8000);
  });

  it('refuses an organization setting above the platform maximum, naming key and ceiling', async () => {
    const error = await failure(setPolicy('organization', 'max_input_pixels', 1_000_000_000));
    expect(error).toMatchObject({ code: '22023' });
    expect(JSON.parse(error!.detail!)).toEqual({ key: 'max_input_pixels', value: 1_000_000_000, ceiling: 100_000_000 });
  });

  it('refuses a tenant setting above what its organization has in force (its default included)', async () => {
    const error = await failure(setPolicy('tenant', 'transform_timeout_ms', 300_000));
    expect(JSON.parse(error!.detail!)).toMatchObject({ key: 'transform_timeout_ms', ceiling: 15_000 });
    await setPolicy('organization', 'avif_effort', 3);
    expect(await failure(setPolicy('tenant', 'avif_effort', 4))).toMatchObject({ code: '22023' });
    await setPolicy('tenant', 'avif_effort', 1);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).avif_effort).toBe(1);
    expect((await effectivePolicy(db.org.tenants[1].spaceId)).avif_effort).toBe(3);
  });

  it('refuses a space setting above its tenant', async () => {
    await setPolicy('tenant', 'max_frames', 20);
    const error = await failure(setPolicy('space', 'max_frames', 50));
    expect(JSON.parse(error!.detail!)).toMatchObject({ key: 'max_frames', ceiling: 20 });
  });

  it('keeps the tightest value in force when a wider scope lowers its ceiling below a nearer setting', async () => {
    await setPolicy('organization', 'webp_effort', 5);
    await setPolicy('tenant', 'webp_effort', 5);
    await setPolicy('organization', 'webp_effort', 2);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).webp_effort).toBe(2);
  });

  it('does not lift a limit when a nearer scope sets JSON null', async () => {
    await setPolicy('tenant', 'png_compression_level', 3);
    await setPolicy('space', 'png_compression_level', null);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).png_compression_level).toBe(3);
  });

  it('treats a permission as a limit: a tenant may turn SVG off, never on', async () => {
    expect(await failure(setPolicy('tenant', 'allow_svg', true))).toMatchObject({ code: '22023' });
    await setPolicy('organization', 'allow_svg', true);
    await setPolicy('tenant', 'allow_svg', false);
    expect((await effectivePolicy(db.org.tenants[0].spaceId)).allow_svg).toBe(false);
    expect((await effectivePolicy(db.org.tenants[1].spaceId)).allow_svg).toBe(true);
  });

  it('refuses an organization-only limit (a rate or quota) below organization scope', async () => {
    const error = await failure(setPolicy('tenant', 'quota_assets', 10));
    expect(error).toMatchObject({ code: '22023' });
    expect(error!.message).toContain('quota_assets');
  });

  it('applies the platform operator\'s maximum to every organization, settings made before it included', async () => {
    await setPolicy('organization', 'max_upload_bytes', 90 * 1024 * 1024);
    const lowered = await asRequest(db.pool, { role: 'imgplane_admin' }, async (client) => {
      await client.query(`update imgplane.policy_keys set platform_maximum = '1000' where key = 'max_upload_bytes'`);
      const { rows } = await client.query<{ policy: Record<string, unknown> }>('select imgplane.effective_policy($1) as policy', [db.org.tenants[0].spaceId]);
      return rows[0]!.policy.max_upload_bytes;
    }); // rolled back: other test files share the catalog
    expect(lowered).toBe(1000);
  });

  it('lets only the platform operator change platform defaults and maxima', async () => {
    const tenantAdmin: RequestSettings = { role: 'imgplane_tenant', organizationId: db.org.id, scopes: ALL_SCOPES };
    const error = await failure(
      asRequest(db.pool, tenantAdmin, (client) => client.query(`update imgplane.policy_keys set platform_maximum = '100000' where key = 'max_width'`)),
    );
    expect(error).toMatchObject({ code: '42501' });
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

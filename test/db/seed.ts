/**
 * Test data: an organisation with two tenants, one space each, and rows in every table (the audit
 * and outbox rows come from the triggers). Written as the migrating superuser, committed, with
 * unique slugs so test files can share one database.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createPool, uniqueSlug } from './database.ts';

/** A pool or one of its connections: seeding runs in the caller's transaction when given one. */
type Queryable = pg.Pool | pg.ClientBase;

export interface IssuedKey {
  id: string;
  secret: string;
}

export interface TenantFixture {
  id: string;
  slug: string;
  spaceId: string;
  spaceSlug: string;
  privateAssetId: string;
  publicAssetId: string;
  apiKey: IssuedKey;
}

export interface OrganizationFixture {
  id: string;
  slug: string;
  apiKey: IssuedKey;
  tenants: [TenantFixture, TenantFixture];
}

export function sha256Hex(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('hex');
}

export function randomHash(): string {
  return randomBytes(32).toString('hex');
}

export interface SeededDatabase {
  pool: pg.Pool;
  org: OrganizationFixture;
  /** An organisation on the other side of every boundary. */
  other: OrganizationFixture;
}

/**
 * Registers the calling test file's hooks: a pool and two seeded organisations before its tests,
 * the pool closed after them.
 */
export function useSeededDatabase(): SeededDatabase {
  const seeded = {} as SeededDatabase; // filled in before the first test runs; tests only read it
  beforeAll(async () => {
    seeded.pool = createPool();
    [seeded.org, seeded.other] = await Promise.all([seedOrganization(seeded.pool), seedOrganization(seeded.pool)]);
  });
  afterAll(async () => {
    await seeded.pool.end();
  });
  return seeded;
}

export async function seedOrganization(pool: pg.Pool): Promise<OrganizationFixture> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const slug = uniqueSlug('org');
    const id = await insertReturningId(client, 'insert into imgplane.organizations (slug, name) values ($1, $1) returning id', [slug]);
    await insertScopedConfiguration(client, id, null, null);
    const apiKey = await insertApiKey(client, id, null);
    await insertSigningKey(client, id, null);
    const tenants: [TenantFixture, TenantFixture] = [await seedTenant(client, id), await seedTenant(client, id)];
    await client.query('commit');
    return { id, slug, apiKey, tenants };
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

async function seedTenant(client: pg.PoolClient, organizationId: string): Promise<TenantFixture> {
  const slug = uniqueSlug('tenant');
  const id = await insertReturningId(
    client,
    'insert into imgplane.tenants (organization_id, slug, name) values ($1, $2, $2) returning id',
    [organizationId, slug],
  );
  const spaceSlug = uniqueSlug('space');
  const spaceId = await insertReturningId(
    client,
    'insert into imgplane.spaces (organization_id, tenant_id, slug, name) values ($1, $2, $3, $3) returning id',
    [organizationId, id, spaceSlug],
  );
  await insertScopedConfiguration(client, organizationId, id, null);
  await insertScopedConfiguration(client, organizationId, id, spaceId);
  const apiKey = await insertApiKey(client, organizationId, id);
  await insertSigningKey(client, organizationId, id);
  const asset = { organizationId, tenantId: id, spaceId };
  const privateAssetId = await insertAsset(client, asset, 'private');
  const publicAssetId = await insertAsset(client, asset, 'public');
  await client.query(
    `select imgplane.record_usage(jsonb_build_array(jsonb_build_object(
       'day', current_date, 'organization_id', $1::uuid, 'tenant_id', $2::uuid, 'space_id', $3::uuid, 'request_count', 1)))`,
    [organizationId, id, spaceId],
  );
  return { id, slug, spaceId, spaceSlug, privateAssetId, publicAssetId, apiKey };
}

/** A policy setting and a preset at one scope (organization, tenant or space). */
async function insertScopedConfiguration(
  client: pg.PoolClient,
  organizationId: string,
  tenantId: string | null,
  spaceId: string | null,
): Promise<void> {
  await client.query(
    `insert into imgplane.policies (organization_id, tenant_id, space_id, key, value) values ($1, $2, $3, 'max_width', '4000')`,
    [organizationId, tenantId, spaceId],
  );
  await client.query(
    `insert into imgplane.presets (organization_id, tenant_id, space_id, name, operations) values ($1, $2, $3, 'thumb', '{"w":100}')`,
    [organizationId, tenantId, spaceId],
  );
}

export async function insertApiKey(
  client: Queryable,
  organizationId: string | null,
  tenantId: string | null,
  overrides: { status?: string; expiresAt?: Date } = {},
): Promise<IssuedKey> {
  const keyId = randomBytes(8).toString('hex');
  const secret = `imgp_live_${keyId}_${randomBytes(32).toString('hex')}`;
  const id = await insertReturningId(
    client,
    `insert into imgplane.api_keys (organization_id, tenant_id, key_id, name, secret_hash, scopes, status, expires_at, revoked_at)
     values ($1, $2, $3, $3, $4, $5, $6, $7, case when $6 = 'revoked' then now() end) returning id`,
    [organizationId, tenantId, keyId, sha256Hex(secret), ['image:read', 'image:write', 'sign', 'admin'], overrides.status ?? 'active', overrides.expiresAt ?? null],
  );
  return { id, secret };
}

async function insertSigningKey(client: pg.PoolClient, organizationId: string, tenantId: string | null): Promise<void> {
  await client.query(
    `insert into imgplane.signing_keys (organization_id, tenant_id, kid, secret_ciphertext) values ($1, $2, $3, 'sealed')`,
    [organizationId, tenantId, uniqueSlug('kid')],
  );
}

interface AssetPlace {
  organizationId: string;
  tenantId: string;
  spaceId: string;
}

/** An asset with version 1 and one registered variant. */
async function insertAsset(client: pg.PoolClient, place: AssetPlace, access: 'public' | 'private'): Promise<string> {
  const id = await insertReturningId(
    client,
    `insert into imgplane.assets (organization_id, tenant_id, space_id, original_filename, access)
     values ($1, $2, $3, 'photo.jpg', $4) returning id`,
    [place.organizationId, place.tenantId, place.spaceId, access],
  );
  const contentHash = randomHash();
  await client.query(
    `insert into imgplane.asset_versions (asset_id, version, organization_id, tenant_id, space_id, content_hash,
       storage_provider, storage_key, size_bytes, mime_type, format, width, height)
     values ($1, 1, $2, $3, $4, $5::text, 'memory', $5::text, 1000, 'image/jpeg', 'jpeg', 640, 480)`,
    [id, place.organizationId, place.tenantId, place.spaceId, contentHash],
  );
  await client.query(
    `select imgplane.register_variant($1, 1, $2, 'w_100', 'webp', 'memory', $2, 100, $2, 100, 75, 5)`,
    [id, randomHash()],
  );
  return id;
}

async function insertReturningId(client: Queryable, sql: string, params: unknown[]): Promise<string> {
  const result = await client.query<{ id: string }>(sql, params);
  const row = result.rows[0];
  if (!row) throw new Error(`no id returned by: ${sql}`);
  return row.id;
}

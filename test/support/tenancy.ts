/**
 * Test tenancy: each call creates organisations with unique slugs (so test files run in
 * parallel against one database), each with two tenants and a space per tenant, an org-wide
 * admin key, a tenant-scoped key and an active signing key.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Scope } from '../../platform/keys/api-key-authenticator.ts';
import { issueApiKey } from '../../platform/keys/api-keys.ts';
import { withClaims, type Claims } from '../../platform/request-context.ts';
import type { Platform } from '../../platform/platform.ts';

export const PLATFORM_ADMIN: Claims = Object.freeze({
  role: 'imgplane_admin',
  organizationId: null,
  tenantId: null,
  apiKeyId: null,
  scopes: [],
});

export interface TestTenant {
  id: string;
  slug: string;
  spaceId: string;
  spaceSlug: string;
  /** image:read, image:write, sign — limited to this tenant. */
  key: string;
}

export interface TestOrganization {
  id: string;
  slug: string;
  /** Org-wide key with every scope. */
  adminKey: string;
  tenants: [TestTenant, TestTenant];
}

const ALL_SCOPES: Scope[] = ['image:read', 'image:write', 'sign', 'admin'];

export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function createOrganization(platform: Platform, prefix = 'org'): Promise<TestOrganization> {
  const slug = uniqueSlug(prefix);
  const ids = await withClaims(platform.pool, PLATFORM_ADMIN, async (client) => {
    const org = await client.query<{ id: string }>(
      'insert into imgplane.organizations (slug, name) values ($1, $1) returning id',
      [slug],
    );
    const organizationId = org.rows[0]!.id;
    const tenants = [];
    for (const tenantSlug of ['web', 'app']) {
      tenants.push(await createTenantWithSpace(client, organizationId, tenantSlug));
    }
    return { organizationId, tenants };
  });
  const adminKey = await issueApiKey(platform.pool, PLATFORM_ADMIN, {
    organizationId: ids.organizationId,
    tenantId: null,
    name: 'test admin',
    scopes: ALL_SCOPES,
  });
  const adminClaims = await platform.auth.authenticate(adminKey.secret);
  await platform.signing.rotate(adminClaims, ids.organizationId, null);
  const tenants = [] as TestTenant[];
  for (const tenant of ids.tenants) {
    const key = await issueApiKey(platform.pool, PLATFORM_ADMIN, {
      organizationId: ids.organizationId,
      tenantId: tenant.id,
      name: `test ${tenant.slug}`,
      scopes: ['image:read', 'image:write', 'sign'],
    });
    tenants.push({ ...tenant, key: key.secret });
  }
  return { id: ids.organizationId, slug, adminKey: adminKey.secret, tenants: tenants as [TestTenant, TestTenant] };
}

async function createTenantWithSpace(client: pg.PoolClient, organizationId: string, slug: string) {
  const tenant = await client.query<{ id: string }>(
    'insert into imgplane.tenants (organization_id, slug, name) values ($1, $2, $2) returning id',
    [organizationId, slug],
  );
  const tenantId = tenant.rows[0]!.id;
  const space = await client.query<{ id: string }>(
    `insert into imgplane.spaces (organization_id, tenant_id, slug, name) values ($1, $2, 'media', 'Media') returning id`,
    [organizationId, tenantId],
  );
  return { id: tenantId, slug, spaceId: space.rows[0]!.id, spaceSlug: 'media' };
}

/** Sets a policy key at a scope, as the platform admin. */
export async function setPolicy(
  platform: Platform,
  scope: { organizationId: string; tenantId?: string | null; spaceId?: string | null },
  key: string,
  value: unknown,
): Promise<void> {
  await withClaims(platform.pool, PLATFORM_ADMIN, (client) =>
    client.query(
      `insert into imgplane.policies (organization_id, tenant_id, space_id, key, value) values ($1, $2, $3, $4, $5::jsonb)
       on conflict (organization_id, tenant_id, space_id, key) do update set value = excluded.value`,
      [scope.organizationId, scope.tenantId ?? null, scope.spaceId ?? null, key, JSON.stringify(value)],
    ),
  );
  platform.catalog.forgetSpaces();
}

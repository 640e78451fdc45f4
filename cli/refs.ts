/**
 * Organisations, tenants and spaces can be named the way people know them: by slug (`acme`),
 * by path (`acme/shop`, `acme/shop/media`) or by id. These resolve a name to the id the API needs.
 */
import type { ApiClient } from './client.ts';
import { CliError } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string) => UUID.test(value);

export async function organizationId(client: ApiClient, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  const data = await client.graphql<{ organizationBySlug: { rowId: string } | null }>(
    'query($slug: String!) { organizationBySlug(slug: $slug) { rowId } }',
    { slug: ref },
  );
  if (!data.organizationBySlug) throw new CliError(`no organisation "${ref}" visible to this key`, 'list them with `imgplane org list`');
  return data.organizationBySlug.rowId;
}

/** `tenant` is an id, `org/tenant`, or a slug within `org`. */
export async function tenantId(client: ApiClient, ref: string, org: string | undefined): Promise<{ organizationId: string; tenantId: string }> {
  if (isUuid(ref)) {
    const data = await client.graphql<{ tenantByRowId: { organizationId: string } | null }>(
      'query($id: UUID!) { tenantByRowId(rowId: $id) { organizationId } }',
      { id: ref },
    );
    if (!data.tenantByRowId) throw new CliError(`no tenant ${ref} visible to this key`, 'list them with `imgplane tenant list`');
    return { organizationId: data.tenantByRowId.organizationId, tenantId: ref };
  }
  const [orgRef, slug] = ref.includes('/') ? splitPath(ref, 2) : [org, ref];
  if (!orgRef) throw new CliError(`tenant "${ref}" needs its organisation`, 'write it as org/tenant, or pass --org');
  const organization = await organizationId(client, orgRef);
  const data = await client.graphql<{ tenantByOrganizationIdAndSlug: { rowId: string } | null }>(
    'query($org: UUID!, $slug: String!) { tenantByOrganizationIdAndSlug(organizationId: $org, slug: $slug) { rowId } }',
    { org: organization, slug },
  );
  if (!data.tenantByOrganizationIdAndSlug) {
    throw new CliError(`no tenant "${slug}" in organisation "${orgRef}" visible to this key`, 'list them with `imgplane tenant list --org ' + orgRef + '`');
  }
  return { organizationId: organization, tenantId: data.tenantByOrganizationIdAndSlug.rowId };
}

/** `space` is an id or `org/tenant/space`. */
export async function spaceId(client: ApiClient, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  const [org, tenant, slug] = splitPath(ref, 3);
  const owner = await tenantId(client, `${org}/${tenant}`, undefined);
  const data = await client.graphql<{ spaceByTenantIdAndSlug: { rowId: string } | null }>(
    'query($tenant: UUID!, $slug: String!) { spaceByTenantIdAndSlug(tenantId: $tenant, slug: $slug) { rowId } }',
    { tenant: owner.tenantId, slug },
  );
  if (!data.spaceByTenantIdAndSlug) throw new CliError(`no space "${ref}" visible to this key`, 'list them with `imgplane space list`');
  return data.spaceByTenantIdAndSlug.rowId;
}

function splitPath(ref: string, parts: number): string[] {
  const segments = ref.split('/');
  if (segments.length !== parts || segments.some((segment) => segment === '')) {
    const shape = ['org', 'tenant', 'space'].slice(0, parts).join('/');
    throw new CliError(`"${ref}" is not ${shape} or an id`, `e.g. ${['acme', 'shop', 'media'].slice(0, parts).join('/')}`);
  }
  return segments;
}

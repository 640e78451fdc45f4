/** `imgplane org`, `tenant`, `space`: the tenancy tree over GraphQL. */
import type { Command } from 'commander';
import { PAGE_INFO } from '../client.ts';
import { action } from '../context.ts';
import { organizationId, tenantId } from '../refs.ts';

export function registerTenancyCommands(program: Command): void {
  const org = program.command('org').description('organisations (creating one needs the platform operator key)');
  org
    .command('create')
    .description('create an organisation')
    .argument('<slug>', 'URL-safe name used in image URLs (a-z, 0-9, -)')
    .option('--name <name>', 'display name (default: the slug)')
    .action(
      action(async ({ client, output }, slug: string, options: { name?: string }) => {
        const data = await client().graphql<{ createOrganization: { organization: { rowId: string; slug: string } } }>(
          'mutation($slug: String!, $name: String!) { createOrganization(input: { organization: { slug: $slug, name: $name } }) { organization { rowId slug } } }',
          { slug, name: options.name ?? slug },
        );
        const created = data.createOrganization.organization;
        output.result(created, () => `organisation ${created.slug} created: ${created.rowId}`);
        output.note(`next: imgplane tenant create <slug> --org ${created.slug}`);
      }),
    );
  org
    .command('list')
    .description('list the organisations this key sees')
    .action(
      action(async ({ client, output }) => {
        const rows = await client().listAll<Record<string, unknown>>(
          'allOrganizations',
          `query($first: Int!, $after: Cursor) {
             allOrganizations(first: $first, after: $after, orderBy: SLUG_ASC) { nodes { rowId slug name status } ${PAGE_INFO} }
           }`,
        );
        output.table(rows, ['slug', 'name', 'status', 'rowId']);
      }),
    );

  const tenant = program.command('tenant').description('tenants of an organisation (needs an admin key of it)');
  tenant
    .command('create')
    .description('create a tenant')
    .argument('<slug>', 'URL-safe name used in image URLs')
    .requiredOption('--org <org>', 'organisation slug or id')
    .option('--name <name>', 'display name (default: the slug)')
    .action(
      action(async ({ client, output }, slug: string, options: { org: string; name?: string }) => {
        const api = client();
        const data = await api.graphql<{ createTenant: { tenant: { rowId: string; slug: string } } }>(
          'mutation($org: UUID!, $slug: String!, $name: String!) { createTenant(input: { tenant: { organizationId: $org, slug: $slug, name: $name } }) { tenant { rowId slug } } }',
          { org: await organizationId(api, options.org), slug, name: options.name ?? slug },
        );
        const created = data.createTenant.tenant;
        output.result(created, () => `tenant ${options.org}/${created.slug} created: ${created.rowId}`);
        output.note(`next: imgplane space create <slug> --tenant ${options.org}/${created.slug}`);
      }),
    );
  tenant
    .command('list')
    .description('list tenants')
    .option('--org <org>', 'only this organisation (slug or id)')
    .action(
      action(async ({ client, output }, options: { org?: string }) => {
        const api = client();
        const condition = options.org ? { organizationId: await organizationId(api, options.org) } : {};
        const rows = await api.listAll<Record<string, unknown>>(
          'allTenants',
          `query($condition: TenantCondition, $first: Int!, $after: Cursor) {
             allTenants(condition: $condition, first: $first, after: $after, orderBy: SLUG_ASC) { nodes { rowId slug name status organizationId } ${PAGE_INFO} }
           }`,
          { condition },
        );
        output.table(rows, ['slug', 'name', 'status', 'rowId', 'organizationId']);
      }),
    );

  const space = program.command('space').description('spaces of a tenant, where assets live');
  space
    .command('create')
    .description('create a space')
    .argument('<slug>', 'URL-safe name used in image URLs')
    .requiredOption('--tenant <tenant>', 'org/tenant, or a tenant id')
    .option('--name <name>', 'display name (default: the slug)')
    .action(
      action(async ({ client, output }, slug: string, options: { tenant: string; name?: string }) => {
        const api = client();
        const owner = await tenantId(api, options.tenant, undefined);
        const data = await api.graphql<{ createSpace: { space: { rowId: string; slug: string } } }>(
          'mutation($org: UUID!, $tenant: UUID!, $slug: String!, $name: String!) { createSpace(input: { space: { organizationId: $org, tenantId: $tenant, slug: $slug, name: $name } }) { space { rowId slug } } }',
          { org: owner.organizationId, tenant: owner.tenantId, slug, name: options.name ?? slug },
        );
        const created = data.createSpace.space;
        output.result(created, () => `space ${options.tenant}/${created.slug} created: ${created.rowId}`);
        output.note(`next: imgplane upload <file or folder> --space ${created.rowId}`);
      }),
    );
  space
    .command('list')
    .description('list spaces')
    .option('--tenant <tenant>', 'only this tenant (org/tenant or id)')
    .action(
      action(async ({ client, output }, options: { tenant?: string }) => {
        const api = client();
        const condition = options.tenant ? { tenantId: (await tenantId(api, options.tenant, undefined)).tenantId } : {};
        const rows = await api.listAll<Record<string, unknown>>(
          'allSpaces',
          `query($condition: SpaceCondition, $first: Int!, $after: Cursor) {
             allSpaces(condition: $condition, first: $first, after: $after, orderBy: SLUG_ASC) { nodes { rowId slug name status tenantId organizationId } ${PAGE_INFO} }
           }`,
          { condition },
        );
        output.table(rows, ['slug', 'name', 'status', 'rowId', 'tenantId']);
      }),
    );
}

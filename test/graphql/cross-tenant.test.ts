/**
 * The cross-tenant matrix over GraphQL: for every exposed type, a key of organization A cannot
 * read, update or delete organization B's rows, and a tenant-scoped key (even one with every
 * scope, admin included) cannot reach its sibling tenant. Every attempt must give no data, and
 * afterwards the victim's rows are byte-for-byte what they were (checked in SQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../platform/keys/api-keys.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, PLATFORM_ADMIN, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';
import { seedTenantContent, snapshotRows, type TenantContent } from './fixtures.ts';

let server: TestApp;
let orgA: TestOrganization;
let orgB: TestOrganization;
/** A's tenant "web" with every scope: the strongest tenant-scoped attacker. */
let tenantAdminKey: string;
/** Victims: B's tenant "web" (for A's organization key) and A's tenant "app" (for A's web key). */
let victimOfOrg: TenantContent;
let victimOfTenant: TenantContent;
let beforeOrgAttacks: string;
let beforeTenantAttacks: string;

beforeAll(async () => {
  server = await startTestApp();
  [orgA, orgB] = await Promise.all([createOrganization(server.platform, 'xa'), createOrganization(server.platform, 'xb')]);
  const issued = await issueApiKey(server.platform.pool, PLATFORM_ADMIN, {
    organizationId: orgA.id,
    tenantId: orgA.tenants[0].id,
    name: 'tenant admin',
    scopes: ['image:read', 'image:write', 'sign', 'admin'],
  });
  tenantAdminKey = issued.secret;
  [victimOfOrg, victimOfTenant] = await Promise.all([
    seedTenantContent(server, orgB, orgB.tenants[0]),
    seedTenantContent(server, orgA, orgA.tenants[1]),
    seedTenantContent(server, orgA, orgA.tenants[0]),
  ]);
  beforeOrgAttacks = await snapshotRows(server, orgB.id);
  beforeTenantAttacks = await snapshotRows(server, orgA.id, orgA.tenants[1].id);
});
afterAll(() => server?.close());

/** Connection fields and how their rows name their organization and tenant. */
const CONNECTIONS: { field: string; owner: string }[] = [
  { field: 'allOrganizations', owner: 'org: rowId' },
  { field: 'allTenants', owner: 'org: organizationId tenant: rowId' },
  { field: 'allSpaces', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allPolicies', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allPresets', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allAssets', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allAssetVersions', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allDerivedAssets', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allApiKeys', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allSigningKeys', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allUsageDailyBySpaces', owner: 'org: organizationId tenant: tenantId' },
  { field: 'allUsageMonthlyByOrganizations', owner: 'org: organizationId' },
  { field: 'allAuditLogs', owner: 'org: organizationId tenant: tenantId' },
];

interface Owner {
  org: string;
  tenant?: string | null;
}

/** Lookups by key: the victim's own key finds the row, the attacker's finds nothing. */
const LOOKUPS: { type: string; orgOnly?: boolean; query: string; variables: (victim: TenantContent) => Record<string, unknown> }[] = [
  { type: 'organization', orgOnly: true, query: 'organizationByRowId(rowId: $id)', variables: (v) => ({ id: v.organizationId }) },
  { type: 'tenant', query: 'tenantByRowId(rowId: $id)', variables: (v) => ({ id: v.tenantId }) },
  { type: 'space', query: 'spaceByRowId(rowId: $id)', variables: (v) => ({ id: v.spaceId }) },
  { type: 'policy', query: 'policyByRowId(rowId: $id)', variables: (v) => ({ id: v.policyId }) },
  { type: 'preset', query: 'presetByRowId(rowId: $id)', variables: (v) => ({ id: v.presetId }) },
  { type: 'asset', query: 'assetByRowId(rowId: $id)', variables: (v) => ({ id: v.assetId }) },
  { type: 'asset version', query: 'assetVersionByAssetIdAndVersion(assetId: $id, version: 1)', variables: (v) => ({ id: v.assetId }) },
  { type: 'derived asset', query: 'derivedAssetByRowId(rowId: $id)', variables: (v) => ({ id: v.derivedAssetId }) },
  { type: 'API key', query: 'apiKeyByRowId(rowId: $id)', variables: (v) => ({ id: v.apiKeyId }) },
  { type: 'signing key', query: 'signingKeyByRowId(rowId: $id)', variables: (v) => ({ id: v.signingKeyId }) },
];

/** Writes aimed at the victim's rows; each must fail. */
const WRITES: { name: string; orgOnly?: boolean; mutation: string; variables: (victim: TenantContent) => Record<string, unknown> }[] = [
  {
    name: 'update its organization',
    orgOnly: true,
    mutation: 'updateOrganizationByRowId(input: { rowId: $id, organizationPatch: { name: "pwned" } }) { organization { rowId } }',
    variables: (v) => ({ id: v.organizationId }),
  },
  {
    name: 'delete its organization',
    orgOnly: true,
    mutation: 'deleteOrganizationByRowId(input: { rowId: $id }) { organization { rowId } }',
    variables: (v) => ({ id: v.organizationId }),
  },
  {
    name: 'update its tenant',
    mutation: 'updateTenantByRowId(input: { rowId: $id, tenantPatch: { name: "pwned" } }) { tenant { rowId } }',
    variables: (v) => ({ id: v.tenantId }),
  },
  { name: 'delete its tenant', mutation: 'deleteTenantByRowId(input: { rowId: $id }) { tenant { rowId } }', variables: (v) => ({ id: v.tenantId }) },
  {
    name: 'update its space',
    mutation: 'updateSpaceByRowId(input: { rowId: $id, spacePatch: { status: "suspended" } }) { space { rowId } }',
    variables: (v) => ({ id: v.spaceId }),
  },
  { name: 'delete its space', mutation: 'deleteSpaceByRowId(input: { rowId: $id }) { space { rowId } }', variables: (v) => ({ id: v.spaceId }) },
  {
    name: 'create a space in its tenant',
    mutation: 'createSpace(input: { space: { organizationId: $org, tenantId: $tenant, slug: "evil", name: "evil" } }) { space { rowId } }',
    variables: (v) => ({ org: v.organizationId, tenant: v.tenantId }),
  },
  {
    name: 'set a policy in its space',
    mutation: 'setPolicy(input: { scope: { spaceId: $id }, key: "max_width", value: 1 }) { policy { rowId } }',
    variables: (v) => ({ id: v.spaceId }),
  },
  {
    name: 'unset a policy in its space',
    mutation: 'unsetPolicy(input: { scope: { spaceId: $id }, key: "max_width" }) { unset }',
    variables: (v) => ({ id: v.spaceId }),
  },
  {
    name: 'update its preset',
    mutation: 'updatePresetByRowId(input: { rowId: $id, presetPatch: { operations: { w: 1 } } }) { preset { rowId } }',
    variables: (v) => ({ id: v.presetId }),
  },
  { name: 'delete its preset', mutation: 'deletePresetByRowId(input: { rowId: $id }) { preset { rowId } }', variables: (v) => ({ id: v.presetId }) },
  {
    name: 'create a preset in its tenant',
    mutation: 'createPreset(input: { preset: { organizationId: $org, tenantId: $tenant, name: "evil", operations: { w: 1 } } }) { preset { rowId } }',
    variables: (v) => ({ org: v.organizationId, tenant: v.tenantId }),
  },
  {
    name: 'update its asset',
    mutation: 'updateAssetByRowId(input: { rowId: $id, assetPatch: { access: "private", tags: ["pwned"] } }) { asset { rowId } }',
    variables: (v) => ({ id: v.assetId }),
  },
  { name: 'soft-delete its asset', mutation: 'softDeleteAsset(input: { rowId: $id }) { asset { rowId } }', variables: (v) => ({ id: v.assetId }) },
  { name: 'revoke its API key', mutation: 'revokeApiKey(input: { rowId: $id }) { apiKey { rowId } }', variables: (v) => ({ id: v.apiKeyId }) },
  {
    name: 'create an API key for it',
    mutation: 'createApiKey(input: { organizationId: $org, tenantId: $tenant, name: "evil", scopes: ["admin"] }) { secret }',
    variables: (v) => ({ org: v.organizationId, tenant: v.tenantId }),
  },
  {
    name: 'rotate its signing key',
    mutation: 'rotateSigningKey(input: { organizationId: $org, tenantId: $tenant }) { signingKey { kid } }',
    variables: (v) => ({ org: v.organizationId, tenant: v.tenantId }),
  },
  { name: 'revoke its signing key', mutation: 'revokeSigningKey(input: { kid: $kid }) { signingKey { kid } }', variables: (v) => ({ kid: v.signingKid }) },
  { name: 'sign a URL of its asset', mutation: 'signUrl(input: { path: $path }) { url }', variables: (v) => ({ path: v.privatePath }) },
];

const VARIABLE_TYPES: Record<string, string> = { id: 'UUID!', org: 'UUID!', tenant: 'UUID!', kid: 'String!', path: 'String!' };

function variableDeclarations(variables: Record<string, unknown>): string {
  return Object.keys(variables).map((name) => `$${name}: ${VARIABLE_TYPES[name]}`).join(', ');
}

interface Attacker {
  describe: string;
  key: () => string;
  victim: () => TenantContent;
  victimKey: () => string;
  /** Whom every row the attacker lists must belong to. */
  owns: (owner: Owner) => boolean;
  orgLevel: boolean;
  before: () => string;
  snapshot: () => Promise<string>;
}

const ATTACKERS: Attacker[] = [
  {
    describe: "an organization key against another organization's rows",
    key: () => orgA.adminKey,
    victim: () => victimOfOrg,
    victimKey: () => orgB.adminKey,
    owns: (owner) => owner.org === orgA.id,
    orgLevel: true,
    before: () => beforeOrgAttacks,
    snapshot: () => snapshotRows(server, orgB.id),
  },
  {
    describe: "a tenant-scoped admin key against its sibling tenant's rows",
    key: () => tenantAdminKey,
    victim: () => victimOfTenant,
    victimKey: () => orgA.adminKey,
    owns: (owner) => owner.org === orgA.id && (owner.tenant === undefined || owner.tenant === null || owner.tenant === orgA.tenants[0].id),
    orgLevel: false,
    before: () => beforeTenantAttacks,
    snapshot: () => snapshotRows(server, orgA.id, orgA.tenants[1].id),
  },
];

for (const attacker of ATTACKERS) {
  describe(attacker.describe, () => {
    it.each(CONNECTIONS)('$field lists only rows the key reaches, and some of them', async ({ field, owner }) => {
      const data = await graphqlData<Record<string, { nodes: Owner[] }>>(
        server.baseUrl,
        `{ list: ${field}(first: 1000) { nodes { ${owner} } } }`,
        {},
        attacker.key(),
      );
      const nodes = data.list!.nodes;
      expect(nodes.length).toBeGreaterThan(0);
      expect(nodes.filter((node) => !attacker.owns(node))).toEqual([]);
    });

    it.each(LOOKUPS.filter((lookup) => attacker.orgLevel || !lookup.orgOnly))(
      'finds no $type of the victim by key or by node id',
      async ({ query, variables }) => {
        const values = variables(attacker.victim());
        const document = `query(${variableDeclarations(values)}) { row: ${query} { id } }`;
        const seen = await graphqlData<{ row: { id: string } | null }>(server.baseUrl, document, values, attacker.victimKey());
        expect(seen.row, 'the victim itself sees the row').not.toBeNull();

        const attempt = await graphqlData<{ row: unknown }>(server.baseUrl, document, values, attacker.key());
        expect(attempt.row).toBeNull();
        const byNode = await graphqlData<{ node: unknown }>(
          server.baseUrl,
          'query($id: ID!) { node(id: $id) { id } }',
          { id: seen.row!.id },
          attacker.key(),
        );
        expect(byNode.node).toBeNull();
      },
    );

    it.each(WRITES.filter((write) => attacker.orgLevel || !write.orgOnly))('cannot $name', async ({ mutation, variables }) => {
      const values = variables(attacker.victim());
      const response = await graphql<Record<string, unknown>>(
        server.baseUrl,
        `mutation(${variableDeclarations(values)}) { result: ${mutation} }`,
        values,
        attacker.key(),
      );
      expect(response.errors?.length, JSON.stringify(response)).toBeGreaterThan(0);
      expect(response.errors![0]!.extensions?.code).toMatch(/^(forbidden|not_found|bad_request)$/);
      expect(response.data?.result ?? null).toBeNull();
    });

    it("leaves every one of the victim's rows as it was (checked in SQL)", async () => {
      expect(await attacker.snapshot()).toBe(attacker.before());
    });
  });
}

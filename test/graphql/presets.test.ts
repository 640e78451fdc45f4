/**
 * Presets over GraphQL: operations are checked with the URL grammar (core/ops) on create and
 * update, with an error naming the bad operation and nothing written; names must work as
 * preset_<name>; a preset created here is usable in image URLs at once, and deleting it works.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, responseBytes, upload } from '../support/http.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';

let server: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'pre');
});
afterAll(() => server?.close());

const CREATE = `mutation($org: UUID!, $tenant: UUID, $name: String!, $operations: JSON!) {
  createPreset(input: { preset: { organizationId: $org, tenantId: $tenant, name: $name, operations: $operations } }) {
    preset { rowId name operations }
  }
}`;
const UPDATE = `mutation($id: UUID!, $operations: JSON!) {
  updatePresetByRowId(input: { rowId: $id, presetPatch: { operations: $operations } }) { preset { operations } }
}`;

async function presetRows(): Promise<unknown[]> {
  const { rows } = await server.db.query('select name, operations from imgplane.presets where organization_id = $1 order by name', [org.id]);
  return rows;
}

async function createPreset(name: string, operations: unknown): Promise<string> {
  const data = await graphqlData<{ createPreset: { preset: { rowId: string } } }>(
    server.baseUrl,
    CREATE,
    { org: org.id, tenant: null, name, operations },
    org.adminKey,
  );
  return data.createPreset.preset.rowId;
}

describe('createPreset', () => {
  it('stores valid operations as given', async () => {
    const data = await graphqlData<{ createPreset: { preset: { name: string; operations: unknown } } }>(
      server.baseUrl,
      CREATE,
      { org: org.id, tenant: null, name: 'hero', operations: { w: 1200, h: 600, f: 'cover', fmt: 'webp', bw: true } },
      org.adminKey,
    );
    const { name, operations } = data.createPreset.preset;
    expect({ name, operations }).toEqual({ name: 'hero', operations: { w: 1200, h: 600, f: 'cover', fmt: 'webp', bw: true } });
  });

  it.each([
    ['an unknown operation', { w: 100, zoom: 2 }, 'zoom', /unknown preset key "zoom"/],
    ['an out-of-range width', { w: -5 }, 'w', /preset key "w" must be/],
    ['an unknown fit', { w: 100, f: 'squash' }, 'f', /preset key "f" must be/],
    ['a flag that is not a boolean', { bw: 'yes' }, 'bw', /preset key "bw" must be true or false/],
    ['a nested preset', { preset: 'other' }, 'preset', /unknown preset key "preset"/],
  ])('rejects %s, naming it, and writes nothing', async (_case, operations, key, message) => {
    const before = await presetRows();
    const response = await graphql(server.baseUrl, CREATE, { org: org.id, tenant: null, name: 'broken', operations }, org.adminKey);
    expect(response.errors?.[0]?.message).toMatch(message);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_ops', detail: { key } });
    expect(response.data?.createPreset ?? null).toBeNull();
    expect(await presetRows()).toEqual(before);
  });

  it('rejects operations that are not an object', async () => {
    const response = await graphql(server.baseUrl, CREATE, { org: org.id, tenant: null, name: 'list', operations: ['w', 100] }, org.adminKey);
    expect(response.errors?.[0]?.message).toMatch(/preset operations must be a JSON object/);
  });

  it('rejects a name that cannot be written as preset_<name> in a URL', async () => {
    const response = await graphql(server.baseUrl, CREATE, { org: org.id, tenant: null, name: 'two-words', operations: { w: 10 } }, org.adminKey);
    expect(response.errors?.[0]).toMatchObject({ message: expect.stringMatching(/preset name "two-words" cannot be used as preset_<name>/), extensions: { code: 'bad_request' } });
  });
});

describe('createPreset scopes', () => {
  const SCOPED = `mutation($org: UUID, $tenant: UUID, $space: UUID, $name: String!) {
    createPreset(input: { preset: { organizationId: $org, tenantId: $tenant, spaceId: $space, name: $name, operations: { w: 64 } } }) {
      preset { rowId organizationId tenantId spaceId }
    }
  }`;
  type Scoped = { createPreset: { preset: { rowId: string; organizationId: string; tenantId: string | null; spaceId: string | null } } };
  const create = (variables: Record<string, unknown>, key = org.adminKey) => graphql(server.baseUrl, SCOPED, variables, key);

  it('derives the organisation and tenant from spaceId alone', async () => {
    const tenant = org.tenants[0];
    const data = await graphqlData<Scoped>(server.baseUrl, SCOPED, { space: tenant.spaceId, name: 'space_only' }, org.adminKey);
    expect(data.createPreset.preset).toMatchObject({ organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId });
  });

  it('accepts organisation and space without the tenant, and a tenant alone', async () => {
    const tenant = org.tenants[1];
    const bySpace = await graphqlData<Scoped>(server.baseUrl, SCOPED, { org: org.id, space: tenant.spaceId, name: 'org_and_space' }, org.adminKey);
    expect(bySpace.createPreset.preset).toMatchObject({ organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId });
    const byTenant = await graphqlData<Scoped>(server.baseUrl, SCOPED, { tenant: tenant.id, name: 'tenant_only' }, org.adminKey);
    expect(byTenant.createPreset.preset).toMatchObject({ organizationId: org.id, tenantId: tenant.id, spaceId: null });
  });

  it('makes an organisation-level preset for the key\'s organisation when no scope is given', async () => {
    const data = await graphqlData<Scoped>(server.baseUrl, SCOPED, { name: 'org_default' }, org.adminKey);
    expect(data.createPreset.preset).toMatchObject({ organizationId: org.id, tenantId: null, spaceId: null });
  });

  it('refuses a space of another organisation, or a tenant that contradicts the space, writing nothing', async () => {
    const other = await createOrganization(server.platform, 'pre-other');
    const before = await presetRows();
    const foreign = await create({ space: other.tenants[0].spaceId, name: 'foreign' });
    expect(foreign.errors?.length).toBeGreaterThan(0);
    const contradictory = await create({ tenant: org.tenants[0].id, space: org.tenants[1].spaceId, name: 'contradictory' });
    expect(contradictory.errors?.length).toBeGreaterThan(0);
    expect(await presetRows()).toEqual(before);
    const { rows } = await server.db.query('select 1 from imgplane.presets where organization_id = $1', [other.id]);
    expect(rows).toEqual([]);
  });
});

describe('updatePresetByRowId', () => {
  it('rejects invalid operations and keeps the stored ones', async () => {
    const id = await createPreset('keeper', { w: 300 });
    const response = await graphql(server.baseUrl, UPDATE, { id, operations: { w: 300, q: 500 } }, org.adminKey);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_ops', detail: { key: 'q' } });
    const { rows } = await server.db.query('select operations from imgplane.presets where id = $1', [id]);
    expect(rows[0].operations).toEqual({ w: 300 });
  });

  it('accepts valid operations', async () => {
    const id = await createPreset('changer', { w: 300 });
    const data = await graphqlData<{ updatePresetByRowId: { preset: { operations: unknown } } }>(server.baseUrl, UPDATE, { id, operations: { w: 150, q: 70 } }, org.adminKey);
    expect(data.updatePresetByRowId.preset.operations).toEqual({ w: 150, q: 70 });
  });

  it('reports a preset it cannot reach as not found', async () => {
    const id = await createPreset('private', { w: 10 });
    const response = await graphql(server.baseUrl, UPDATE, { id, operations: { w: 20 } }, org.tenants[0].key);
    expect(response.errors?.[0]?.extensions?.code).toBe('not_found');
  });
});

describe('presets in image URLs', () => {
  it('serve a preset created over GraphQL at once, and stop serving it once deleted', async () => {
    const tenant = org.tenants[0];
    const uploaded = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('320x240.jpg'), { access: 'public' });
    const { urls } = (await uploaded.json()) as { urls: { original: string } };
    const url = urls.original.replace(/original\.jpg$/, 'preset_thumb.jpg');
    expect((await fetch(url)).status).toBe(400); // no such preset yet

    const id = await createPreset('thumb', { w: 80 });
    const served = await fetch(url);
    expect(served.status).toBe(200);
    expect((await sharp(await responseBytes(served)).metadata()).width).toBe(80);

    const deleted = await graphqlData<{ deletePresetByRowId: { preset: { rowId: string } } }>(
      server.baseUrl,
      'mutation($id: UUID!) { deletePresetByRowId(input: { rowId: $id }) { preset { rowId } } }',
      { id },
      org.adminKey,
    );
    expect(deleted.deletePresetByRowId.preset.rowId).toBe(id);
    expect((await fetch(url)).status).toBe(400);
  });
});

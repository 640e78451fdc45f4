import { afterAll, beforeAll, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { graphql } from './client.ts';

let server: TestApp;
let org: TestOrganization;
beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform);
});
afterAll(() => server?.close());

it('probe', async () => {
  const q = async (query: string, variables = {}, key?: string) => console.log(JSON.stringify(await graphql(server.baseUrl, query, variables, key)));
  await q('{ allOrganizations { totalCount nodes { rowId slug } } }');
  await q('{ allOrganizations { totalCount nodes { rowId slug } } }', {}, 'imgp_live_bad_key');
  await q('{ allOrganizations { totalCount nodes { rowId slug } } allSpaces { nodes { rowId slug effectivePolicy } } }', {}, org.adminKey);
  await q('{ allSpaces { nodes { rowId slug tenantId } } allTenants { nodes { rowId } } }', {}, org.tenants[0].key);
  await q('mutation { createOrganization(input: { organization: { slug: "x-evil", name: "x" } }) { organization { rowId } } }', {}, org.adminKey);
  await q('mutation($id: UUID!) { updateSpaceByRowId(input: { rowId: $id, patch: { name: "hacked" } }) { space { rowId name } } }', { id: org.tenants[1].spaceId }, org.tenants[0].key);
  await q('mutation($id: UUID!) { setPolicy(input: { scope: { spaceId: $id }, key: "max_width", value: 99999 }) { policy { rowId } } }', { id: org.tenants[0].spaceId }, org.adminKey);
  await q('mutation($id: UUID!) { setPolicy(input: { scope: { spaceId: $id }, key: "max_width", value: 800 }) { policy { rowId key value } } }', { id: org.tenants[0].spaceId }, org.adminKey);
  await q('mutation($id: UUID!) { setPolicy(input: { scope: { spaceId: $id }, key: "max_height" }) { policy { rowId key value } } }', { id: org.tenants[0].spaceId }, org.adminKey);
  await q('mutation($id: UUID!) { setPolicy(input: { scope: { spaceId: $id }, key: "max_height", value: null }) { policy { rowId key value } } }', { id: org.tenants[0].spaceId }, org.adminKey);
  await q('query($id: UUID!) { spaceByRowId(rowId: $id) { effectivePolicy } }', { id: org.tenants[0].spaceId }, org.adminKey);
  await q('mutation($o: UUID!) { createPreset(input: { preset: { organizationId: $o, name: "thumb", operations: { w: 100, zoom: 3 } } }) { preset { rowId } } }', { o: org.id }, org.adminKey);
  await q('mutation($o: UUID!) { createPreset(input: { preset: { organizationId: $o, name: "thumb", operations: { w: 100 } } }) { preset { rowId name operations } } }', { o: org.id }, org.adminKey);
  await q('mutation { createApiKey(input: { name: "ci", scopes: ["image:read"] }) { secret apiKey { rowId keyId scopes } } }', {}, org.adminKey);
  await q('mutation { rotateSigningKey(input: {}) { signingKey { kid status } } }', {}, org.adminKey);
  await q('mutation($p: String!) { signUrl(input: { path: $p }) { url expiresAt clamped } }', { p: `/v1/priv/${org.slug}/web/media/img/00000000-0000-0000-0000-000000000000/v1/w_100.jpg` }, org.tenants[0].key);
});

/** createAnalystLogin / dropAnalystLogin through GraphQL, and the login working as psql would use it. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analystConnectionString } from '../../platform/analyst-logins.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';

let app: TestApp;
let org: TestOrganization;
let other: TestOrganization;

beforeAll(async () => {
  app = await startTestApp();
  org = await createOrganization(app.platform, 'gqlan');
  other = await createOrganization(app.platform, 'gqlanb');
});
afterAll(() => app?.close());

const CREATE = `mutation ($org: UUID) { createAnalystLogin(input: { organizationId: $org }) { result { roleName password } } }`;
const DROP = `mutation ($role: String!) { dropAnalystLogin(input: { roleName: $role }) { result } }`;

describe('createAnalystLogin', () => {
  it('gives an organization admin a login, password shown once, that reads that organization only', async () => {
    const data = await graphqlData<{ createAnalystLogin: { result: { roleName: string; password: string }[] } }>(
      app.baseUrl, CREATE, { org: org.id }, org.adminKey,
    );
    const [login] = data.createAnalystLogin.result;
    expect(login!.password).toMatch(/^[0-9a-f]{64}$/);
    const client = new pg.Client({ connectionString: analystConnectionString(app.platform.config.databaseUrl!, login!) });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>('select id from imgplane.organizations');
      expect(rows.map((row) => row.id)).toEqual([org.id]);
    } finally {
      await client.end();
    }
    const listed = await graphqlData<{ allAnalystLogins: { nodes: { roleName: string }[] } }>(
      app.baseUrl, '{ allAnalystLogins(first: 100) { nodes { roleName } } }', {}, org.adminKey,
    );
    expect(listed.allAnalystLogins.nodes).toEqual([{ roleName: login!.roleName }]);
    const refused = await graphqlData<{ dropAnalystLogin: { result: boolean } }>(app.baseUrl, DROP, { role: login!.roleName }, other.adminKey);
    expect(refused.dropAnalystLogin.result).toBe(false);
    const dropped = await graphqlData<{ dropAnalystLogin: { result: boolean } }>(app.baseUrl, DROP, { role: login!.roleName }, org.adminKey);
    expect(dropped.dropAnalystLogin.result).toBe(true);
  });

  it('refuses a platform-wide login to an organization admin, and a login for another organization', async () => {
    for (const target of [null, other.id]) {
      const response = await graphql(app.baseUrl, CREATE, { org: target }, org.adminKey);
      expect(response.errors?.map((error) => error.message), String(target)).toEqual([expect.stringMatching(/analyst/)]);
      expect(response.data?.createAnalystLogin ?? null).toBeNull();
    }
  });
});

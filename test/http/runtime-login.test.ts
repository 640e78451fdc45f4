/**
 * The login a running server's requests use is imgplane_authenticator, not the login that
 * migrated the database: a connection that forgot its role, or a statement that tries to climb,
 * gets nothing. The migrating login is used only by graphile-worker's queue, which this server
 * (no in-process worker) never opens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

let server: TestApp;
let org: TestOrganization;
let assetId: string;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'login');
  const tenant = org.tenants[0];
  const uploaded = await upload(server.baseUrl, tenant.key, tenant.spaceId, await corpusFile('320x240.jpg'), { access: 'public' });
  expect(uploaded.status).toBe(201);
  assetId = ((await uploaded.json()) as { id: string }).id;
});
afterAll(() => server?.close());

/** The SQLSTATE of a statement run on one of the request pool's connections. */
async function failureOf(sql: string): Promise<string | undefined> {
  const client = await server.platform.pool.connect();
  try {
    await client.query(sql);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    // The connection may be left in another role or an aborted state: never hand it back.
    client.release(true);
  }
}

describe('the request login', () => {
  it('is imgplane_authenticator, acting as imgplane_anonymous until a transaction sets the caller', async () => {
    const { rows } = await server.platform.pool.query<{ session: string; current: string }>('select session_user as session, current_user as current');
    expect(rows[0]).toEqual({ session: 'imgplane_authenticator', current: 'imgplane_anonymous' });
  });

  it('refuses to become the owner or the migrating login', async () => {
    const { rows } = await server.db.query<{ login: string }>('select current_user as login');
    for (const role of ['imgplane_owner', rows[0]!.login]) {
      expect(await failureOf(`set role ${role}`), role).toBe('42501');
    }
  });

  it("reads none of an organisation's keys without claims, and nothing at all once it drops the anonymous role", async () => {
    for (const table of ['api_keys', 'signing_keys', 'audit_logs', 'tenants']) {
      const sql = `select 1 from imgplane.${table} where organization_id = $1`;
      expect((await server.db.query(sql, [org.id])).rowCount, table).toBeGreaterThan(0);
      const anonymous = await server.platform.pool.query(sql, [org.id]).then(
        (result) => result.rowCount,
        (error: { code?: string }) => error.code,
      );
      expect([0, '42501'], table).toContain(anonymous);
    }
    // NOINHERIT: the login itself (role none; reset role would return to the startup role) holds no privilege of its roles.
    expect(await failureOf('set role none; select 1 from imgplane.assets limit 1')).toBe('42501');
    expect(await failureOf('set role none; select 1 from imgplane.organizations limit 1')).toBe('42501');
  });

  it('serves images and GraphQL without the migrating login opening a connection', async () => {
    const image = await fetch(`${server.baseUrl}/v1/pub/${org.slug}/${org.tenants[0].slug}/${org.tenants[0].spaceSlug}/img/${assetId}/v1/w_40.jpg`);
    expect(image.status).toBe(200);
    const graphql = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': org.tenants[0].key },
      body: JSON.stringify({ query: '{ allAssets(first: 1) { totalCount } }' }),
    });
    expect(await graphql.json()).toEqual({ data: { allAssets: { totalCount: 1 } } });
    expect(server.platform.queuePool.totalCount).toBe(0);
  });
});

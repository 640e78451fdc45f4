/** ApiClient.listAll against a real server: every row of a connection longer than a page, once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.ts';
import { createOrganization, type TestOrganization } from '../test/support/tenancy.ts';
import { ApiClient, PAGE_INFO } from './client.ts';

let server: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'cli-pages');
});
afterAll(() => server?.close());

const KEYS_QUERY = `query($condition: ApiKeyCondition, $first: Int!, $after: Cursor) {
  allApiKeys(condition: $condition, orderBy: CREATED_AT_DESC, first: $first, after: $after) { nodes { rowId } ${PAGE_INFO} }
}`;

async function keyIds(pageSize: number): Promise<string[]> {
  const client = new ApiClient({ url: server.baseUrl, apiKey: org.adminKey }, pageSize);
  const rows = await client.listAll<{ rowId: string }>('allApiKeys', KEYS_QUERY, { condition: { organizationId: org.id } });
  return rows.map((row) => row.rowId);
}

describe('listAll', () => {
  it('follows the cursor through every page, with no row twice', async () => {
    const onePage = await keyIds(1_000);
    // the organisation's admin key and one key per tenant
    expect(onePage.length).toBeGreaterThanOrEqual(3);
    for (const pageSize of [1, 2]) {
      const paged = await keyIds(pageSize);
      expect(paged, `page size ${pageSize}`).toEqual(onePage);
      expect(new Set(paged).size).toBe(paged.length);
    }
  });
});

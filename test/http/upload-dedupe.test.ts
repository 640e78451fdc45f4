/** Dedupe under concurrency: one asset per (space, content), however many uploads race. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { upload } from '../support/http.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

let app: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  app = await startTestApp();
  org = await createOrganization(app.platform, 'dedupe');
});
afterAll(() => app?.close());

describe('parallel uploads of the same bytes', () => {
  it('make one asset: one 201 and nine 200 answers naming it', async () => {
    const tenant = org.tenants[0];
    const bytes = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#3a7bd5' } }).png().toBuffer();
    const responses = await Promise.all(Array.from({ length: 10 }, () => upload(app.baseUrl, tenant.key, tenant.spaceId, bytes)));
    const answers = await Promise.all(responses.map(async (response) => ({ status: response.status, id: ((await response.json()) as { id: string }).id })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    const { rows } = await app.db.query<{ count: number }>(
      'select count(*)::int as count from imgplane.assets where space_id = $1', [tenant.spaceId],
    );
    expect(rows[0]!.count).toBe(1);
  });

  it('into two spaces make one asset in each, sharing one stored original', async () => {
    const bytes = await sharp({ create: { width: 90, height: 60, channels: 3, background: '#d53a7b' } }).png().toBuffer();
    const spaces = [org.tenants[0], org.tenants[1]];
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) => upload(app.baseUrl, spaces[index % 2]!.key, spaces[index % 2]!.spaceId, bytes)),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(2);
    const { rows } = await app.db.query<{ assets: number; keys: number }>(
      `select count(distinct v.asset_id)::int as assets, count(distinct v.storage_key)::int as keys
         from imgplane.asset_versions v where v.organization_id = $1 and v.size_bytes = $2`,
      [org.id, bytes.length],
    );
    expect(rows[0]).toEqual({ assets: 2, keys: 1 });
    const key = `originals/${org.id}/${(await import('node:crypto')).createHash('sha256').update(bytes).digest('hex')}`;
    expect(await app.platform.storage.exists(key)).toBe(true);
  });
});

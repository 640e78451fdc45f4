/**
 * A transaction that fails after the original was stored (here at COMMIT, through a deferred
 * constraint trigger that only fires for one magic file name) must leave neither a row nor the
 * object it stored; an object that a committed version refers to must survive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { upload } from '../support/http.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { flatPicture, listFiles } from './delivery-fixtures.ts';

const FAILING_NAME = 'fails-at-commit.png';
let server: TestApp;
let org: TestOrganization;
let storageDir: string;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'rollback');
  const storage = server.platform.config.storage;
  if (storage.kind !== 'local') throw new Error('this test inspects the local storage folder');
  storageDir = storage.dir;
  await server.db.query(`
    create or replace function imgplane.test_fail_upload_at_commit() returns trigger language plpgsql as $$
    begin
      if exists (select from imgplane.assets a where a.id = new.asset_id and a.original_filename = '${FAILING_NAME}') then
        raise exception 'upload failed at commit (test)';
      end if;
      return null;
    end $$;
    drop trigger if exists _999_test_fail_upload_at_commit on imgplane.asset_versions;
    create constraint trigger _999_test_fail_upload_at_commit after insert on imgplane.asset_versions
      deferrable initially deferred for each row execute function imgplane.test_fail_upload_at_commit();`);
});

afterAll(async () => {
  await server?.db.query(`
    drop trigger if exists _999_test_fail_upload_at_commit on imgplane.asset_versions;
    drop function if exists imgplane.test_fail_upload_at_commit();`);
  await server?.close();
});

const originalsOf = async () => (await listFiles(`${storageDir}/objects/originals/${org.id}`)).filter((name) => !name.startsWith('.'));

describe('an upload whose transaction fails after the original was stored', () => {
  it('leaves no asset row and removes the object it stored', async () => {
    const tenant = org.tenants[0];
    const response = await upload(server.baseUrl, tenant.key, tenant.spaceId, await flatPicture(40, 30, '#123456'), {
      filename: FAILING_NAME,
    });
    expect(response.status).toBe(500);
    expect((await response.json()) as { error: string }).toMatchObject({ error: 'internal' });
    const rows = await server.db.query('select 1 from imgplane.assets where organization_id = $1', [org.id]);
    expect(rows.rowCount).toBe(0);
    expect(await originalsOf()).toEqual([]);
  });

  it('keeps an object that a committed version of the same bytes refers to', async () => {
    const [first, second] = org.tenants;
    const bytes = await flatPicture(40, 30, '#654321');
    expect((await upload(server.baseUrl, first.key, first.spaceId, bytes, { filename: 'kept.png' })).status).toBe(201);
    const stored = await originalsOf();
    expect(stored).toHaveLength(1);
    const failed = await upload(server.baseUrl, second.key, second.spaceId, bytes, { filename: FAILING_NAME });
    expect(failed.status).toBe(500);
    expect(await originalsOf()).toEqual(stored);
  });
});

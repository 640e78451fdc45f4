/**
 * applyDatabase(): creates a missing database, migrates it, re-applying functions and policies
 * changes nothing, and a start whose files are already applied does not re-apply them. Runs against a database of its own so that re-applying (which takes
 * table locks) never blocks the other test files.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { applyDatabase } from '../../db/apply.ts';
import { databaseUrlOn, dropDatabases } from '../support/services.ts';
import { connectClient } from './database.ts';

// Under the run's prefix, so the run's teardown drops it even if this file never gets to.
const { adminUrl, prefix } = inject('testDatabases');
const scratchName = `${prefix}_apply_${randomBytes(3).toString('hex')}`;
const scratchUrl = databaseUrlOn(adminUrl, scratchName);

/** Everything applying functions and policies declares, without object ids. */
const CATALOG_SNAPSHOT = `
  select jsonb_build_object(
    'functions', (select jsonb_agg(jsonb_build_array(p.proname, pg_get_function_identity_arguments(p.oid),
                   pg_get_functiondef(p.oid), p.proacl::text, obj_description(p.oid, 'pg_proc'))
                   order by p.proname, pg_get_function_identity_arguments(p.oid))
                  from pg_proc p where p.pronamespace = 'imgplane'::regnamespace),
    'policies', (select jsonb_agg(to_jsonb(p) order by p.tablename, p.policyname)
                 from pg_policies p where p.schemaname = 'imgplane'),
    'relations', (select jsonb_agg(jsonb_build_array(c.relname, c.relacl::text, c.relrowsecurity, c.reloptions) order by c.relname)
                  from pg_class c where c.relnamespace = 'imgplane'::regnamespace),
    'columns', (select jsonb_agg(jsonb_build_array(c.relname, a.attname, a.attacl::text) order by c.relname, a.attnum)
                from pg_attribute a join pg_class c on c.oid = a.attrelid
                where c.relnamespace = 'imgplane'::regnamespace and a.attacl is not null),
    'triggers', (select jsonb_agg(pg_get_triggerdef(t.oid) order by t.tgrelid::regclass::text, t.tgname)
                 from pg_trigger t join pg_class c on c.oid = t.tgrelid
                 where c.relnamespace = 'imgplane'::regnamespace and not t.tgisinternal)
  ) as snapshot`;

async function withScratch<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectClient(scratchUrl);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const snapshot = () => withScratch(async (client) => (await client.query<{ snapshot: unknown }>(CATALOG_SNAPSHOT)).rows[0]!.snapshot);

// Every connection to it has ended by now (withScratch and applyDatabase end theirs before returning).
afterAll(() => dropDatabases(adminUrl, [scratchName]));

describe('applyDatabase', () => {
  it('creates and migrates a database that does not exist yet', async () => {
    const lines: string[] = [];
    await applyDatabase(scratchUrl, { log: (line) => lines.push(line) });
    expect(lines).toContain(`created database ${scratchName}`);
    const tables = await withScratch((client) =>
      client.query(`select count(*)::int as count from pg_class where relnamespace = 'imgplane'::regnamespace and relkind = 'r'`),
    );
    expect(tables.rows[0]!.count).toBeGreaterThanOrEqual(13);
  });

  it('changes nothing when re-applied twice, even by two processes at once', async () => {
    // re-declared once first: a re-apply may order grants differently from the first apply
    await applyDatabase(scratchUrl, { force: true });
    const before = await snapshot();
    // forced: the files are re-declared even though their digest matches
    await Promise.all([applyDatabase(scratchUrl, { force: true }), applyDatabase(scratchUrl, { force: true })]);
    expect(await snapshot()).toEqual(before);
  });

  it('skips re-declaring unchanged functions and policies, so a start waits for no running request', async () => {
    // a request in flight on another server: it holds a lock that re-declaring a policy waits for
    const request = await connectClient(scratchUrl);
    try {
      await request.query('begin');
      await request.query('lock table imgplane.assets in row exclusive mode');
      const lines: string[] = [];
      const started = performance.now();
      await applyDatabase(scratchUrl, { log: (line) => lines.push(line) });
      expect(lines).toContain('functions and policies: unchanged');
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await request.query('rollback');
      await request.end();
    }
  });

  it('re-declares them when the files or policy keys differ from what the database was applied with', async () => {
    await withScratch((client) => client.query(`update imgplane.applied_sql set digest = 'an older version'`));
    const lines: string[] = [];
    await applyDatabase(scratchUrl, { log: (line) => lines.push(line) });
    expect(lines.some((line) => /^applied \d+ function and policy files/.test(line))).toBe(true);
    const { rows } = await withScratch((client) => client.query<{ digest: string }>('select digest from imgplane.applied_sql'));
    expect(rows[0]!.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});

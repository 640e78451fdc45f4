/**
 * Scopes are enforced by the database itself (restrictive policies in db/policies/050_scopes.sql),
 * so a key that may only read images cannot change the control plane or originals through ANY
 * path: REST, GraphQL or plain SQL as the request role.
 */
import { describe, expect, it } from 'vitest';
import { attempt, INSUFFICIENT_PRIVILEGE, type Outcome, type RequestSettings } from './database.ts';
import { useSeededDatabase } from './seed.ts';

const db = useSeededDatabase();

type Scope = 'image:read' | 'image:write' | 'sign' | 'admin';

/** A tenant-scoped key of the seeded organisation's first tenant, holding `scopes`. */
function tenantKey(scopes: Scope[]): RequestSettings {
  return { role: 'imgplane_tenant', organizationId: db.org.id, tenantId: db.org.tenants[0].id, scopes };
}

/** Refused outright (insert) or filtered to nothing (update/delete): either way, nothing changed. */
function expectRefused(outcome: Outcome): void {
  if (outcome.ok) expect(outcome.rowCount).toBe(0);
  else expect(outcome.code).toBe(INSUFFICIENT_PRIVILEGE);
}

function expectChanged(outcome: Outcome): void {
  expect(outcome).toMatchObject({ ok: true, rowCount: 1 });
}

const writes = {
  'insert a space': () => ({
    sql: `insert into imgplane.spaces (organization_id, tenant_id, slug, name) values ($1, $2, 'scoped-space', 'x')`,
    params: [db.org.id, db.org.tenants[0].id],
  }),
  'rename a space': () => ({ sql: `update imgplane.spaces set name = 'renamed' where id = $1`, params: [db.org.tenants[0].spaceId] }),
  'delete a space': () => ({ sql: 'delete from imgplane.spaces where id = $1', params: [db.org.tenants[0].spaceId] }),
  'set a space policy': () => ({
    sql: `insert into imgplane.policies (organization_id, tenant_id, space_id, key, value) values ($1, $2, $3, 'webp_effort', '3')`,
    params: [db.org.id, db.org.tenants[0].id, db.org.tenants[0].spaceId],
  }),
  'create a space preset': () => ({
    sql: `insert into imgplane.presets (organization_id, tenant_id, space_id, name, operations) values ($1, $2, $3, 'scoped', '{"w":10}')`,
    params: [db.org.id, db.org.tenants[0].id, db.org.tenants[0].spaceId],
  }),
} as const;

const assetWrites = {
  'retag an asset': () => ({ sql: `update imgplane.assets set tags = '{x}' where id = $1`, params: [db.org.tenants[0].privateAssetId] }),
  'soft-delete an asset': () => ({ sql: 'update imgplane.assets set deleted_at = now() where id = $1', params: [db.org.tenants[0].privateAssetId] }),
  'hard-delete an asset': () => ({ sql: 'delete from imgplane.assets where id = $1', params: [db.org.tenants[0].privateAssetId] }),
} as const;

describe('control-plane writes need the admin scope', () => {
  it.each(Object.entries(writes))('a key with image:read, image:write and sign cannot %s', async (_name, statement) => {
    const { sql, params } = statement();
    expectRefused(await attempt(db.pool, tenantKey(['image:read', 'image:write', 'sign']), sql, params));
  });

  it.each(Object.entries(writes))('the same key with admin can %s', async (_name, statement) => {
    const { sql, params } = statement();
    expectChanged(await attempt(db.pool, tenantKey(['admin']), sql, params));
  });
});

describe('writes to originals need image:write (or admin)', () => {
  it.each(Object.entries(assetWrites))('a read-only key cannot %s', async (_name, statement) => {
    const { sql, params } = statement();
    expectRefused(await attempt(db.pool, tenantKey(['image:read', 'sign']), sql, params));
  });

  it.each(Object.entries(assetWrites))('an image:write key can %s', async (_name, statement) => {
    const { sql, params } = statement();
    expectChanged(await attempt(db.pool, tenantKey(['image:write']), sql, params));
  });

  it('a read-only key still reads what its tenant reaches', async () => {
    const outcome = await attempt(db.pool, tenantKey(['image:read']), 'select id from imgplane.assets where id = $1', [
      db.org.tenants[0].privateAssetId,
    ]);
    expect(outcome).toMatchObject({ ok: true, rowCount: 1 });
  });
});

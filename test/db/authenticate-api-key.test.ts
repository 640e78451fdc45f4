/** authenticate_api_key(): the key's claims for a valid secret, no row for anything else. */
import { describe, expect, it } from 'vitest';
import { asRequest } from './database.ts';
import { insertApiKey, type IssuedKey, useSeededDatabase } from './seed.ts';

const db = useSeededDatabase();

/** Authenticates as the server does before it knows who is calling: as imgplane_anonymous. */
function authenticate(secret: string): Promise<Record<string, unknown>[]> {
  return asRequest(
    db.pool,
    { role: 'imgplane_anonymous' },
    async (client) => (await client.query('select * from imgplane.authenticate_api_key($1)', [secret])).rows,
    { commit: true },
  );
}

async function lastUsedAt(key: IssuedKey): Promise<Date | null> {
  const { rows } = await db.pool.query<{ last_used_at: Date | null }>('select last_used_at from imgplane.api_keys where id = $1', [key.id]);
  return rows[0]!.last_used_at;
}

describe('authenticate_api_key', () => {
  it('returns the claims of a valid tenant-scoped key', async () => {
    const tenant = db.org.tenants[0];
    expect(await authenticate(tenant.apiKey.secret)).toEqual([
      {
        api_key_id: tenant.apiKey.id,
        organization_id: db.org.id,
        tenant_id: tenant.id,
        scopes: ['image:read', 'image:write', 'sign', 'admin'],
        role: 'imgplane_tenant',
        expires_at: null,
      },
    ]);
  });

  it('returns role imgplane_admin for a platform key', async () => {
    const key = await insertApiKey(db.pool, null, null);
    expect(await authenticate(key.secret)).toEqual([expect.objectContaining({ api_key_id: key.id, organization_id: null, role: 'imgplane_admin' })]);
  });

  it('returns no row for a wrong secret with a known key id', async () => {
    const forged = db.org.apiKey.secret.slice(0, -4) + '0000';
    expect(forged).not.toBe(db.org.apiKey.secret);
    expect(await authenticate(forged)).toEqual([]);
  });

  it('returns no row for a revoked key', async () => {
    const key = await insertApiKey(db.pool, db.org.id, null, { status: 'revoked' });
    expect(await authenticate(key.secret)).toEqual([]);
  });

  it('returns no row for an expired key', async () => {
    const key = await insertApiKey(db.pool, db.org.id, null, { expiresAt: new Date(Date.now() - 1000) });
    expect(await authenticate(key.secret)).toEqual([]);
  });

  it('returns no row for an unknown key or a malformed secret', async () => {
    expect(await authenticate('imgp_live_0000000000000000_abcdef')).toEqual([]);
    expect(await authenticate('not-a-key')).toEqual([]);
  });

  it('returns no row for a key of a suspended tenant', async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      `insert into imgplane.tenants (organization_id, slug, name, status) values ($1, 'suspended-' || substr(md5(random()::text), 1, 8), 'x', 'suspended') returning id`,
      [db.org.id],
    );
    const key = await insertApiKey(db.pool, db.org.id, rows[0]!.id);
    expect(await authenticate(key.secret)).toEqual([]);
  });

  it('refreshes last_used_at on first use but not again within a minute', async () => {
    const key = await insertApiKey(db.pool, db.org.id, null);
    expect(await lastUsedAt(key)).toBeNull();
    await authenticate(key.secret);
    const first = await lastUsedAt(key);
    expect(first).toBeInstanceOf(Date);
    await authenticate(key.secret);
    expect(await lastUsedAt(key)).toEqual(first);
  });
});

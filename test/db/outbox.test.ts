/** Audit and outbox rows are written by triggers in the same transaction as the change. */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, asRequest, type RequestSettings } from './database.ts';
import { useSeededDatabase } from './seed.ts';

const db = useSeededDatabase();

function tenantKey(): RequestSettings {
  const tenant = db.org.tenants[0];
  return { role: 'imgplane_tenant', organizationId: db.org.id, tenantId: tenant.id, apiKeyId: tenant.apiKey.id, scopes: ALL_SCOPES };
}

async function createAsset(client: pg.PoolClient): Promise<string> {
  const tenant = db.org.tenants[0];
  const { rows } = await client.query<{ id: string }>(
    'insert into imgplane.assets (organization_id, tenant_id, space_id) values ($1, $2, $3) returning id',
    [db.org.id, tenant.id, tenant.spaceId],
  );
  const id = rows[0]!.id;
  // assets.current_version must name a version by COMMIT (a deferred foreign key)
  await client.query(
    `insert into imgplane.asset_versions (asset_id, version, organization_id, tenant_id, space_id, content_hash,
       storage_provider, storage_key, size_bytes, mime_type, format)
     values ($1, 1, $2, $3, $4, repeat('a', 64), 'memory', 'k', 1, 'image/jpeg', 'jpeg')`,
    [id, db.org.id, tenant.id, tenant.spaceId],
  );
  return id;
}

async function trail(resourceId: string): Promise<{ audit: Record<string, unknown>[]; events: Record<string, unknown>[] }> {
  const audit = await db.pool.query('select * from imgplane.audit_logs where resource_id = $1 order by id', [resourceId]);
  const events = await db.pool.query('select * from imgplane.events where aggregate_id = $1 order by id', [resourceId]);
  return { audit: audit.rows, events: events.rows };
}

describe('audit and outbox triggers', () => {
  it('leave neither the change nor its audit row nor its event when the transaction rolls back', async () => {
    const assetId = await asRequest(db.pool, tenantKey(), createAsset);
    const { rows } = await db.pool.query('select id from imgplane.assets where id = $1', [assetId]);
    expect(rows).toEqual([]);
    expect(await trail(assetId)).toEqual({ audit: [], events: [] });
  });

  it('leave the change, an audit row naming the API key, and an event when the transaction commits', async () => {
    const assetId = await asRequest(db.pool, tenantKey(), createAsset, { commit: true });
    const { audit, events } = await trail(assetId);
    expect(audit).toEqual([
      expect.objectContaining({
        organization_id: db.org.id,
        tenant_id: db.org.tenants[0].id,
        actor_type: 'api_key',
        actor_id: db.org.tenants[0].apiKey.id,
        action: 'asset.insert',
        resource_type: 'asset',
        old_row: null,
        new_row: expect.objectContaining({ id: assetId }),
      }),
    ]);
    expect(events).toEqual([
      expect.objectContaining({ event_type: 'asset.created', aggregate_type: 'asset', organization_id: db.org.id, delivered_at: null }),
    ]);
  });

  it('reports a soft delete as asset.deleted', async () => {
    const assetId = await asRequest(db.pool, tenantKey(), createAsset, { commit: true });
    await asRequest(db.pool, tenantKey(), (client) => client.query('update imgplane.assets set deleted_at = now() where id = $1', [assetId]), { commit: true });
    const { audit, events } = await trail(assetId);
    expect(audit.map((row) => row.action)).toEqual(['asset.insert', 'asset.update']);
    expect(events.map((row) => row.event_type)).toEqual(['asset.created', 'asset.deleted']);
  });

  it('keep secret columns out of audit rows and events', async () => {
    const keyId = db.org.apiKey.id;
    const { audit, events } = await trail(keyId);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.new_row).toMatchObject({ id: keyId });
    expect(audit[0]!.new_row).not.toHaveProperty('secret_hash');
    expect(events[0]!.payload).not.toHaveProperty('secret_hash');
  });

  it('name the database role as actor when a change carries no API key', async () => {
    const { rows } = await db.pool.query<{ id: string }>(`select id from imgplane.presets where organization_id = $1 and tenant_id is null`, [db.org.id]);
    const presetId = rows[0]!.id;
    await asRequest(db.pool, { role: 'imgplane_admin' }, (client) => client.query(`update imgplane.presets set description = 'x' where id = $1`, [presetId]), { commit: true });
    const { audit, events } = await trail(presetId);
    expect(audit.at(-1)).toMatchObject({ actor_type: 'database', actor_id: 'imgplane_admin', action: 'preset.update' });
    expect(events.at(-1)).toMatchObject({ event_type: 'preset.updated' });
  });

  it('write nothing for an update that only refreshes last_used_at', async () => {
    const keyId = db.org.tenants[1].apiKey.id;
    await db.pool.query('update imgplane.api_keys set last_used_at = now() where id = $1', [keyId]);
    const { audit, events } = await trail(keyId);
    expect(audit.map((row) => row.action)).toEqual(['api_key.insert']);
    expect(events.map((row) => row.event_type)).toEqual(['api_key.created']);
  });
});

/**
 * The isolation matrix: for every table and every request role, reading, inserting, updating and
 * deleting rows across the role's boundary sees nothing or is refused. Rows on each side of the
 * boundary are classified from the superuser's view of the seeded data, so every probe targets
 * rows that exist.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES, attempt, createPool, INSUFFICIENT_PRIVILEGE, type Outcome, type RequestSettings, uniqueSlug } from './database.ts';
import { insertApiKey, type OrganizationFixture, randomHash, seedOrganization } from './seed.ts';

/** Where an inserted row claims to live; null parts are absent at organization level. */
interface Place {
  organizationId: string;
  tenantId: string | null;
  spaceId: string | null;
  assetId: string | null;
}

interface InsertStatement {
  sql: string;
  params: unknown[];
}

interface TableProbe {
  table: string;
  /** Identifies a row; selectable by every role that may read the table. */
  key: string;
  organization: string;
  tenant: string;
  /** Tenant-scoped keys may read (never change) organization-level rows of their organization. */
  orgLevelReadable: boolean;
  /** Superuser-side predicate: rows imgplane_anonymous may read. */
  anonymousVisible: string;
  updateColumn: string;
  /** A row at `place`, or null when the table cannot hold a row there. */
  insert(place: Place): InsertStatement | null;
}

const whenTenant = (place: Place, build: (tenantId: string) => InsertStatement) =>
  place.tenantId === null ? null : build(place.tenantId);

const TABLES: TableProbe[] = [
  {
    table: 'organizations', key: 'id', organization: 'id', tenant: 'null::uuid', orgLevelReadable: true,
    anonymousVisible: "status = 'active'", updateColumn: 'name',
    insert: () => ({ sql: 'insert into imgplane.organizations (slug, name) values ($1, $1)', params: [uniqueSlug('org')] }),
  },
  {
    table: 'tenants', key: 'id', organization: 'organization_id', tenant: 'id', orgLevelReadable: false,
    anonymousVisible: "status = 'active'", updateColumn: 'name',
    insert: (place) => ({
      sql: 'insert into imgplane.tenants (organization_id, slug, name) values ($1, $2, $2)',
      params: [place.organizationId, uniqueSlug('tenant')],
    }),
  },
  {
    table: 'spaces', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: false,
    anonymousVisible: "status = 'active'", updateColumn: 'name',
    insert: (place) => whenTenant(place, (tenantId) => ({
      sql: 'insert into imgplane.spaces (organization_id, tenant_id, slug, name) values ($1, $2, $3, $3)',
      params: [place.organizationId, tenantId, uniqueSlug('space')],
    })),
  },
  {
    table: 'policies', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: true,
    anonymousVisible: 'false', updateColumn: 'value',
    insert: (place) => ({
      sql: `insert into imgplane.policies (organization_id, tenant_id, space_id, key, value) values ($1, $2, $3, $4, '1')`,
      params: [place.organizationId, place.tenantId, place.spaceId, `probe_${randomHash().slice(0, 8)}`],
    }),
  },
  {
    table: 'presets', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: true,
    anonymousVisible: 'false', updateColumn: 'description',
    insert: (place) => ({
      sql: `insert into imgplane.presets (organization_id, tenant_id, space_id, name, operations) values ($1, $2, $3, $4, '{"w":1}')`,
      params: [place.organizationId, place.tenantId, place.spaceId, `preset_${randomHash().slice(0, 8)}`],
    }),
  },
  {
    table: 'api_keys', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: false,
    anonymousVisible: 'false', updateColumn: 'name',
    insert: (place) => ({
      sql: `insert into imgplane.api_keys (organization_id, tenant_id, key_id, name, secret_hash) values ($1, $2, $3, $3, $4)`,
      params: [place.organizationId, place.tenantId, randomHash().slice(0, 16), randomHash()],
    }),
  },
  {
    table: 'signing_keys', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: false,
    anonymousVisible: 'false', updateColumn: 'status',
    insert: (place) => ({
      sql: `insert into imgplane.signing_keys (organization_id, tenant_id, kid, secret_ciphertext, status) values ($1, $2, $3, 'x', 'deprecated')`,
      params: [place.organizationId, place.tenantId, uniqueSlug('kid')],
    }),
  },
  {
    table: 'assets', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: false,
    anonymousVisible: "access = 'public' and deleted_at is null", updateColumn: 'tags',
    insert: (place) => place.tenantId === null || place.spaceId === null ? null : {
      sql: 'insert into imgplane.assets (organization_id, tenant_id, space_id) values ($1, $2, $3)',
      params: [place.organizationId, place.tenantId, place.spaceId],
    },
  },
  {
    table: 'asset_versions', key: "asset_id::text || '/' || version", organization: 'organization_id', tenant: 'tenant_id',
    orgLevelReadable: false, updateColumn: 'format',
    anonymousVisible: "exists (select from imgplane.assets a where a.id = asset_id and a.access = 'public' and a.deleted_at is null)",
    insert: (place) => place.assetId === null ? null : {
      sql: `insert into imgplane.asset_versions (asset_id, version, organization_id, tenant_id, space_id, content_hash,
              storage_provider, storage_key, size_bytes, mime_type, format)
            values ($1, 2, $2, $3, $4, $5::text, 'memory', $5::text, 1, 'image/png', 'png')`,
      params: [place.assetId, place.organizationId, place.tenantId, place.spaceId, randomHash()],
    },
  },
  {
    table: 'derived_assets', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: false,
    anonymousVisible: 'false', updateColumn: 'cache_tier',
    insert: (place) => place.assetId === null ? null : {
      sql: `insert into imgplane.derived_assets (asset_id, version, organization_id, tenant_id, space_id, variant_key,
              operations_canonical, output_format, storage_provider, storage_key, size_bytes, content_hash)
            values ($1, 1, $2, $3, $4, $5::text, 'w_1', 'png', 'memory', $5::text, 1, $5::text)`,
      params: [place.assetId, place.organizationId, place.tenantId, place.spaceId, randomHash()],
    },
  },
  {
    table: 'usage_metrics', key: "day::text || '/' || space_id", organization: 'organization_id', tenant: 'tenant_id',
    orgLevelReadable: false, anonymousVisible: 'false', updateColumn: 'request_count',
    insert: (place) => place.tenantId === null || place.spaceId === null ? null : {
      sql: `insert into imgplane.usage_metrics (day, organization_id, tenant_id, space_id, request_count) values ('2000-01-01', $1, $2, $3, 1)`,
      params: [place.organizationId, place.tenantId, place.spaceId],
    },
  },
  {
    table: 'audit_logs', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: false,
    anonymousVisible: 'false', updateColumn: 'action',
    insert: (place) => ({
      sql: `insert into imgplane.audit_logs (organization_id, tenant_id, actor_type, action, resource_type) values ($1, $2, 'database', 'probe.insert', 'probe')`,
      params: [place.organizationId, place.tenantId],
    }),
  },
  {
    table: 'events', key: 'id', organization: 'organization_id', tenant: 'tenant_id', orgLevelReadable: false,
    anonymousVisible: 'false', updateColumn: 'attempts',
    insert: (place) => ({
      sql: `insert into imgplane.events (organization_id, tenant_id, event_type, aggregate_type) values ($1, $2, 'probe.created', 'probe')`,
      params: [place.organizationId, place.tenantId],
    }),
  },
];

interface ClassifiedRow {
  key: string;
  org: string | null;
  tenant: string | null;
  anonymous_visible: boolean;
}

type Operation = 'read' | 'change';

interface Actor {
  settings: RequestSettings;
  isForeign(row: ClassifiedRow, operation: Operation, probe: TableProbe): boolean;
  /** Places the actor must not be able to insert rows into. */
  insertPlaces: Place[];
}

const ACTOR_NAMES = ['organization-wide key', 'tenant-scoped key', 'analyst', 'anonymous'] as const;
type ActorName = (typeof ACTOR_NAMES)[number];

function tenantPlace(org: OrganizationFixture, index: 0 | 1): Place {
  const tenant = org.tenants[index];
  return { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId, assetId: tenant.privateAssetId };
}

function organizationPlace(org: OrganizationFixture): Place {
  return { organizationId: org.id, tenantId: null, spaceId: null, assetId: null };
}

function buildActors(a: OrganizationFixture, b: OrganizationFixture): Record<ActorName, Actor> {
  const ownTenant = a.tenants[0].id;
  return {
    'organization-wide key': {
      settings: { role: 'imgplane_tenant', organizationId: a.id, apiKeyId: a.apiKey.id, scopes: ALL_SCOPES },
      isForeign: (row) => row.org !== a.id,
      insertPlaces: [tenantPlace(b, 0), organizationPlace(b)],
    },
    'tenant-scoped key': {
      settings: { role: 'imgplane_tenant', organizationId: a.id, tenantId: ownTenant, apiKeyId: a.tenants[0].apiKey.id, scopes: ALL_SCOPES },
      isForeign: (row, operation, probe) => {
        if (row.org !== a.id) return true;
        if (row.tenant === ownTenant) return false;
        return !(row.tenant === null && operation === 'read' && probe.orgLevelReadable);
      },
      insertPlaces: [tenantPlace(b, 0), tenantPlace(a, 1), organizationPlace(a)],
    },
    analyst: {
      settings: { role: 'imgplane_analyst', organizationId: a.id },
      isForeign: (row, operation) => operation === 'change' || row.org !== a.id,
      insertPlaces: [tenantPlace(a, 0), tenantPlace(b, 0)],
    },
    anonymous: {
      settings: { role: 'imgplane_anonymous' },
      isForeign: (row, operation) => operation === 'change' || !row.anonymous_visible,
      insertPlaces: [tenantPlace(a, 0), organizationPlace(a)],
    },
  };
}

function expectNothingOrDenied(outcome: Outcome): void {
  if (outcome.ok) expect(outcome.rowCount).toBe(0);
  else expect(outcome.code).toBe(INSUFFICIENT_PRIVILEGE);
}

let pool: pg.Pool;
let organizations: OrganizationFixture[];
let actors: Record<ActorName, Actor>;

beforeAll(async () => {
  pool = createPool();
  const [a, b, suspended] = await Promise.all([seedOrganization(pool), seedOrganization(pool), seedOrganization(pool)]);
  organizations = [a, b, suspended];
  // rows anonymous must not see although they exist: a suspended organization, tenant and space
  await pool.query(`update imgplane.organizations set status = 'suspended' where id = $1`, [suspended.id]);
  await pool.query(`update imgplane.tenants set status = 'suspended' where id = $1`, [b.tenants[1].id]);
  await pool.query(`update imgplane.spaces set status = 'suspended' where id = $1`, [b.tenants[1].spaceId]);
  await pool.query(`update imgplane.assets set deleted_at = now() where id = $1`, [b.tenants[0].publicAssetId]);
  await insertApiKey(pool, null, null); // a platform operator key: outside every organization
  actors = buildActors(a, b);
});

afterAll(async () => {
  await pool.end();
});

async function classifyRows(probe: TableProbe): Promise<ClassifiedRow[]> {
  const result = await pool.query<ClassifiedRow>(
    `select (${probe.key})::text as key, ${probe.organization} as org, ${probe.tenant} as tenant,
            (${probe.anonymousVisible}) as anonymous_visible
       from imgplane.${probe.table}
      where ${probe.organization} = any($1::uuid[]) or ${probe.organization} is null`,
    [organizations.map((org) => org.id)],
  );
  return result.rows;
}

describe.each(ACTOR_NAMES)('as %s', (actorName) => {
  it.each(TABLES)('cannot read, insert, update or delete $table rows across its boundary', async (probe) => {
    const actor = actors[actorName];
    const rows = await classifyRows(probe);
    const keysOf = (operation: Operation) => rows.filter((row) => actor.isForeign(row, operation, probe)).map((row) => row.key);
    const unreadable = keysOf('read');
    const unchangeable = keysOf('change');
    expect(unreadable.length).toBeGreaterThan(0);
    const matching = `(${probe.key})::text = any($1::text[])`;

    expectNothingOrDenied(await attempt(pool, actor.settings, `select ${probe.key} from imgplane.${probe.table} where ${matching}`, [unreadable]));
    expectNothingOrDenied(
      await attempt(pool, actor.settings, `update imgplane.${probe.table} set ${probe.updateColumn} = ${probe.updateColumn} where ${matching}`, [unchangeable]),
    );
    expectNothingOrDenied(await attempt(pool, actor.settings, `delete from imgplane.${probe.table} where ${matching}`, [unchangeable]));
    for (const place of actor.insertPlaces) {
      const statement = probe.insert(place);
      if (statement === null) continue;
      const outcome = await attempt(pool, actor.settings, statement.sql, statement.params);
      expect(outcome, `insert into ${probe.table} at ${JSON.stringify(place)}`).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
  });
});

// Controls: the probes above would notice a leak, because the same statements do reach own rows.
describe('within its own boundary', () => {
  async function tablesWhereTenantMay(privilege: 'SELECT' | 'INSERT'): Promise<TableProbe[]> {
    const result = await pool.query<{ table: string; granted: boolean }>(
      `select t as table, has_any_column_privilege('imgplane_tenant', ('imgplane.' || t)::regclass, $2) as granted
         from unnest($1::text[]) t`,
      [TABLES.map((probe) => probe.table), privilege],
    );
    const granted = new Set(result.rows.filter((row) => row.granted).map((row) => row.table));
    return TABLES.filter((probe) => granted.has(probe.table));
  }

  it('an organization-wide admin key reads rows of its organization in every table granted to it', async () => {
    const own = organizations[0]!;
    for (const probe of await tablesWhereTenantMay('SELECT')) {
      const outcome = await attempt(pool, actors['organization-wide key'].settings, `select ${probe.key} from imgplane.${probe.table} where ${probe.organization} = $1`, [own.id]);
      expect(outcome.ok && outcome.rowCount > 0, probe.table).toBe(true);
    }
  });

  it('an organization-wide admin key inserts rows into one of its tenants in every table granted to it', async () => {
    const place = tenantPlace(organizations[0]!, 0);
    const tables = await tablesWhereTenantMay('INSERT');
    expect(tables.map((probe) => probe.table)).toContain('assets');
    for (const probe of tables) {
      const statement = probe.insert(place);
      if (statement === null) throw new Error(`no insert probe for ${probe.table}`);
      const outcome = await attempt(pool, actors['organization-wide key'].settings, statement.sql, statement.params);
      expect(outcome, probe.table).toMatchObject({ ok: true, rowCount: 1 });
    }
  });
});

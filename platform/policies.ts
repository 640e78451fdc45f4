/**
 * Setting and unsetting one policy key at one scope, as the caller (RLS decides whether they may).
 * Values are validated against the policy schema of core/policy.ts first, so nothing the delivery
 * path would have to ignore ever reaches the table.
 */
import type pg from 'pg';
import { badRequest, forbidden, notFound } from '../core/errors.ts';
import { isPolicyKey, POLICY_KEYS, validatePolicyValue } from '../core/policy.ts';
import { withClaims, type Claims } from './request-context.ts';

/** Exactly one of the three: the organization, tenant or space the setting applies to. */
export interface PolicyScopeInput {
  organizationId?: string | null;
  tenantId?: string | null;
  spaceId?: string | null;
}

interface ResolvedScope {
  organizationId: string;
  tenantId: string | null;
  spaceId: string | null;
}

const SCOPE_LOOKUPS = {
  spaceId: ['space', 'select organization_id, tenant_id, id as space_id from imgplane.spaces where id = $1'],
  tenantId: ['tenant', 'select organization_id, id as tenant_id, null as space_id from imgplane.tenants where id = $1'],
  organizationId: ['organization', 'select id as organization_id, null as tenant_id, null as space_id from imgplane.organizations where id = $1'],
} as const;

/** The full scope of the one id given, as far as the caller can see it (RLS hides other organizations). */
async function resolveScope(client: pg.PoolClient, scope: PolicyScopeInput): Promise<ResolvedScope> {
  const given = (Object.keys(SCOPE_LOOKUPS) as (keyof typeof SCOPE_LOOKUPS)[]).filter((name) => scope[name] != null);
  const [name] = given;
  if (name === undefined || given.length > 1) {
    throw badRequest('scope needs exactly one of organizationId, tenantId or spaceId', { given });
  }
  const [noun, sql] = SCOPE_LOOKUPS[name];
  const id = scope[name] as string;
  const { rows } = await client.query<{ organization_id: string; tenant_id: string | null; space_id: string | null }>(sql, [id]);
  const row = rows[0];
  if (!row) throw notFound(`no ${noun} ${id}`);
  return { organizationId: row.organization_id, tenantId: row.tenant_id, spaceId: row.space_id };
}

function rethrowRefusal(error: unknown): never {
  const { code, message, detail } = error as { code?: string; message?: string; detail?: string };
  if (code === '42501') {
    throw forbidden('this API key may not change policies at this scope (organization-level settings need an organization-wide admin key)');
  }
  // 22023 from the ceiling trigger (db/functions/040_policy_resolution.sql): a limit above what the
  // scope above allows, or an organization-only limit below organization scope
  if (code === '22023' && message !== undefined) throw badRequest(message, parseDetail(detail));
  throw error;
}

function parseDetail(detail: string | undefined): Record<string, unknown> | undefined {
  try {
    return detail === undefined ? undefined : (JSON.parse(detail) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/**
 * Stores `value` for `key` at the scope and returns the policy row's id. `null` stores a JSON null,
 * which masks inherited values: the platform default applies at this scope and below.
 */
export async function setPolicy(pool: pg.Pool, claims: Claims, scope: PolicyScopeInput, key: string, value: unknown): Promise<string> {
  if (value === undefined) throw badRequest('value is required (null means: use the platform default from this scope down)');
  if (value === null) {
    if (!isPolicyKey(key)) throw badRequest(`unknown policy key "${key}"`, { key, known: POLICY_KEYS });
  } else {
    validatePolicyValue(key, value);
  }
  return withClaims(pool, claims, async (client) => {
    const target = await resolveScope(client, scope);
    const { rows } = await client.query<{ id: string }>(
      `insert into imgplane.policies (organization_id, tenant_id, space_id, key, value) values ($1, $2, $3, $4, $5::jsonb)
       on conflict (organization_id, tenant_id, space_id, key) do update set value = excluded.value
       returning id`,
      [target.organizationId, target.tenantId, target.spaceId, key, JSON.stringify(value)],
    );
    return rows[0]!.id;
  }).catch(rethrowRefusal);
}

const AT_SCOPE_AND_KEY = `organization_id = $1 and tenant_id is not distinct from $2 and space_id is not distinct from $3 and key = $4`;

/** Removes the setting of `key` at the scope, so the value inherited from a wider scope applies again. */
export async function unsetPolicy(pool: pg.Pool, claims: Claims, scope: PolicyScopeInput, key: string): Promise<boolean> {
  return withClaims(pool, claims, async (client) => {
    const target = await resolveScope(client, scope);
    const parameters = [target.organizationId, target.tenantId, target.spaceId, key];
    const deleted = await client.query(`delete from imgplane.policies where ${AT_SCOPE_AND_KEY}`, parameters);
    if ((deleted.rowCount ?? 0) > 0) return true;
    // RLS lets tenant keys read organization-level settings but not delete them: say so, not "nothing to unset".
    const readable = await client.query(`select from imgplane.policies where ${AT_SCOPE_AND_KEY}`, parameters);
    if ((readable.rowCount ?? 0) > 0) rethrowRefusal({ code: '42501' });
    return false;
  }).catch(rethrowRefusal);
}

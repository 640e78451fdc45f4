/**
 * Mirrors the policy schema of core/policy.ts into imgplane.policy_keys, so SQL (effective_policy,
 * the ceiling trigger) knows each key's kind, built-in default and maximum. Runs inside the apply
 * transaction; the operator's platform_default / platform_maximum columns are never touched.
 */
import type pg from 'pg';
import { POLICY_KEYS, policyKeySpec } from '../core/policy.ts';

/** The rows imgplane.policy_keys gets from the code (also part of what db/apply.ts digests). */
export function policyKeyRows() {
  return POLICY_KEYS.map((key) => {
    const spec = policyKeySpec(key);
    return {
      key,
      kind: spec.kind,
      organization_only: spec.kind === 'limit' && spec.organizationOnly,
      builtin_default: spec.default,
      builtin_maximum: spec.kind === 'limit' ? spec.maximum : null,
    };
  });
}

export async function syncPolicyKeys(client: pg.Client): Promise<number> {
  const rows = policyKeyRows();
  // Keys no longer in the code are left in place: an older process may still be running.
  await client.query(
    `insert into imgplane.policy_keys (key, kind, organization_only, builtin_default, builtin_maximum)
     select r.key, r.kind, r.organization_only, r.builtin_default, r.builtin_maximum
     from jsonb_to_recordset($1::jsonb) as r (key text, kind text, organization_only boolean, builtin_default jsonb, builtin_maximum jsonb)
     on conflict (key) do update set kind = excluded.kind, organization_only = excluded.organization_only,
       builtin_default = excluded.builtin_default, builtin_maximum = excluded.builtin_maximum
     where (policy_keys.kind, policy_keys.organization_only, policy_keys.builtin_default, policy_keys.builtin_maximum)
       is distinct from (excluded.kind, excluded.organization_only, excluded.builtin_default, excluded.builtin_maximum)`,
    [JSON.stringify(rows)],
  );
  return rows.length;
}

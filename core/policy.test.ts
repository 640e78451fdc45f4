/**
 * The policy schema: every key is a preference or a limit, each limit's default and maximum are
 * values its own validation accepts with default <= maximum, and the documented key table
 * (docs/graphql.md) names every key with its kind, so operators read what the code enforces.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, POLICY_KEYS, policyKeySpec, resolvePolicy, validatePolicyValue } from './policy.ts';

describe('policy schema', () => {
  it.each(POLICY_KEYS)('%s: its default passes its own validation', (key) => {
    expect(() => validatePolicyValue(key, DEFAULT_POLICY[key])).not.toThrow();
  });

  it.each(POLICY_KEYS.filter((key) => policyKeySpec(key).kind === 'limit'))('%s: a limit whose default is at most its valid maximum', (key) => {
    const spec = policyKeySpec(key);
    if (spec.kind !== 'limit') throw new Error('filtered to limits');
    expect(() => validatePolicyValue(key, spec.maximum)).not.toThrow();
    expect(Number(spec.default)).toBeLessThanOrEqual(Number(spec.maximum));
    expect(typeof spec.default).toBe(typeof spec.maximum);
  });

  it('declares rates and quotas as organisation-only limits', () => {
    const perOrganization = POLICY_KEYS.filter((key) => /^(rate|quota)_/.test(key));
    expect(perOrganization.length).toBeGreaterThanOrEqual(7);
    for (const key of perOrganization) expect(policyKeySpec(key)).toMatchObject({ kind: 'limit', organizationOnly: true });
  });

  it('refuses unknown keys and out-of-range values with a 400 naming the key', () => {
    expect(() => validatePolicyValue('max_widht', 10)).toThrow(/unknown policy key "max_widht"/);
    expect(() => validatePolicyValue('avif_effort', 10)).toThrow(/policy "avif_effort" must be an integer from 0 to 9/);
  });

  it('completes what SQL returns with defaults and ignores values that fail validation', () => {
    const policy = resolvePolicy({ max_width: 100, avif_effort: 'fast', not_a_key: 1 });
    expect(policy.max_width).toBe(100);
    expect(policy.avif_effort).toBe(DEFAULT_POLICY.avif_effort);
    expect(policy).not.toHaveProperty('not_a_key');
  });

  it('documents every key with its kind in docs/graphql.md', async () => {
    const docs = await readFile(new URL('../docs/graphql.md', import.meta.url), 'utf8');
    const undocumented = POLICY_KEYS.filter((key) => !docs.includes(`| \`${key}\` (${policyKeySpec(key).kind}`));
    expect(undocumented).toEqual([]);
  });
});

/**
 * Space.effectivePolicy is the SQL computed column spaces_effective_policy(), which merges the
 * stored settings; here it is completed with the platform defaults (core/policy.ts), so admin
 * tooling sees every key that is in force, not only the ones somebody set.
 */
import { lambda } from 'postgraphile/grafast';
import { wrapPlans } from 'postgraphile/utils';
import { resolvePolicy, type EffectivePolicy } from '../core/policy.ts';

function completePolicy(merged: unknown): EffectivePolicy | null {
  // null only for a space the caller cannot see (the field is then null too)
  return merged === null || typeof merged !== 'object' ? null : resolvePolicy(merged as Record<string, unknown>);
}

export const EffectivePolicyDefaultsPlugin = wrapPlans(
  { Space: { effectivePolicy: (plan) => lambda(plan(), completePolicy, true) } },
  { name: 'ImgplaneEffectivePolicyDefaultsPlugin', description: 'Completes Space.effectivePolicy with the platform defaults.' },
);

/** setPolicy / unsetPolicy: one policy key at one scope, validated against core/policy.ts. */
import { extendSchema, gql } from 'postgraphile/utils';
import { setPolicy, unsetPolicy, type PolicyScopeInput } from '../../platform/policies.ts';
import { serviceMutations } from './call-service.ts';

interface SetPolicyInput {
  scope: PolicyScopeInput;
  key: string;
  value?: unknown;
}

interface UnsetPolicyInput {
  scope: PolicyScopeInput;
  key: string;
}

export const PolicyMutationsPlugin = extendSchema((build) => {
  const policies = build.input.pgRegistry.pgResources.policies!;
  return {
    typeDefs: gql`
      """
      Where a policy setting applies: give exactly one of the three. The others follow from it
      (a space belongs to one tenant, a tenant to one organization).
      """
      input PolicyScopeInput {
        organizationId: UUID
        tenantId: UUID
        spaceId: UUID
      }

      input SetPolicyInput {
        scope: PolicyScopeInput!
        """A key of the policy schema (docs/graphql.md), for example max_width."""
        key: String!
        """
        The value, checked against the key's type and range. null stores a JSON null: inherited
        values are masked and the platform default applies from this scope down.
        """
        value: JSON
      }

      type SetPolicyPayload {
        policy: Policy
      }

      input UnsetPolicyInput {
        scope: PolicyScopeInput!
        key: String!
      }

      type UnsetPolicyPayload {
        """False when nothing was set for this key at this scope."""
        unset: Boolean!
      }

      extend type Mutation {
        """
        Sets one policy key at one scope. A preference: the nearest scope wins in effectivePolicy.
        A limit: at most the ceiling the scope above has in force (the platform maximum for an
        organization); above it the answer is bad_request naming the key and the ceiling.
        """
        setPolicy(input: SetPolicyInput!): SetPolicyPayload
        """Removes the setting of a key at a scope: the value of the next wider scope applies again."""
        unsetPolicy(input: UnsetPolicyInput!): UnsetPolicyPayload
      }
    `,
    objects: {
      Mutation: serviceMutations({
        setPolicy: async ({ services, claims }, input: SetPolicyInput) => {
          const id = await setPolicy(services.pool, claims, input.scope, input.key, input.value);
          services.catalog.forgetSpaces();
          services.limits.forgetPolicies();
          return id;
        },
        unsetPolicy: async ({ services, claims }, input: UnsetPolicyInput) => {
          const unset = await unsetPolicy(services.pool, claims, input.scope, input.key);
          services.catalog.forgetSpaces();
          services.limits.forgetPolicies();
          return unset;
        },
      }),
      SetPolicyPayload: { plans: { policy: ($id) => policies.get({ id: $id }) } },
      UnsetPolicyPayload: { plans: { unset: ($unset) => $unset } },
    },
  };
}, 'ImgplanePolicyMutationsPlugin');

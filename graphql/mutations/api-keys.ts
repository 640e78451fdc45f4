/** createApiKey (returns the secret once) and revokeApiKey. */
import { access } from 'postgraphile/grafast';
import { extendSchema, gql } from 'postgraphile/utils';
import { createApiKey, revokeApiKey, type CreateApiKeyInput } from '../../platform/keys/api-key-admin.ts';
import { serviceMutations } from './call-service.ts';

export const ApiKeyMutationsPlugin = extendSchema((build) => {
  const apiKeys = build.input.pgRegistry.pgResources.api_keys!;
  return {
    typeDefs: gql`
      input CreateApiKeyInput {
        """Default: the caller's organization (platform keys must name one, or get a platform key)."""
        organizationId: UUID
        """Default: the caller's tenant; an organization-wide caller gets an organization-wide key."""
        tenantId: UUID
        name: String!
        """At least one of image:read, image:write, sign, admin."""
        scopes: [String!]!
        """The key stops working at this time; default: never."""
        expiresAt: Datetime
      }

      type CreateApiKeyPayload {
        apiKey: ApiKey
        """The key itself (send it as X-Api-Key). Shown this once: only its hash is stored."""
        secret: String!
      }

      input RevokeApiKeyInput {
        rowId: UUID!
      }

      type RevokeApiKeyPayload {
        apiKey: ApiKey
      }

      extend type Mutation {
        """Creates an API key (needs the admin scope). The response is the only time the secret is visible."""
        createApiKey(input: CreateApiKeyInput!): CreateApiKeyPayload
        """Revokes an API key (needs the admin scope); every instance refuses it within its auth cache TTL."""
        revokeApiKey(input: RevokeApiKeyInput!): RevokeApiKeyPayload
      }
    `,
    objects: {
      Mutation: serviceMutations({
        createApiKey: ({ services, claims }, input: CreateApiKeyInput) => createApiKey(services.pool, claims, input),
        revokeApiKey: async ({ services, claims }, input: { rowId: string }) => {
          await revokeApiKey(services.pool, services.auth, claims, input.rowId);
          return input.rowId;
        },
      }),
      CreateApiKeyPayload: {
        plans: {
          apiKey: ($issued) => apiKeys.get({ id: access($issued, 'id') }),
          secret: ($issued) => access($issued, 'secret'),
        },
      },
      RevokeApiKeyPayload: { plans: { apiKey: ($id) => apiKeys.get({ id: $id }) } },
    },
  };
}, 'ImgplaneApiKeyMutationsPlugin');

/** rotateSigningKey, revokeSigningKey and signUrl, through the platform's signing service. */
import { badRequest, notFound } from '../../core/errors.ts';
import { requireScope } from '../../platform/keys/api-key-authenticator.ts';
import { extendSchema, gql } from 'postgraphile/utils';
import { serviceMutations } from './call-service.ts';

interface RotateSigningKeyInput {
  organizationId?: string | null;
  tenantId?: string | null;
}

interface SignUrlInput {
  path: string;
  ttlSeconds?: number | null;
}

export const SigningMutationsPlugin = extendSchema((build) => {
  const signingKeys = build.input.pgRegistry.pgResources.signing_keys!;
  return {
    typeDefs: gql`
      input RotateSigningKeyInput {
        """Default: the caller's organization (required for platform keys)."""
        organizationId: UUID
        """Default: the caller's tenant; omit with an organization-wide key to rotate the organization's key."""
        tenantId: UUID
      }

      type RotateSigningKeyPayload {
        """The new active key; the previous one verifies until its graceUntil."""
        signingKey: SigningKey
      }

      input RevokeSigningKeyInput {
        kid: String!
      }

      type RevokeSigningKeyPayload {
        signingKey: SigningKey
      }

      input SignUrlInput {
        """A /v1/priv/... image path, or a full URL whose path is signed."""
        path: String!
        """Lifetime in seconds; default and maximum come from the space's policy (longer asks are cut)."""
        ttlSeconds: Int
      }

      type SignUrlPayload {
        url: String!
        path: String!
        """Unix time (seconds) after which the URL is refused."""
        expiresAt: Int!
        ttlSeconds: Int!
        """True when ttlSeconds asked for more than the policy allows and was cut."""
        clamped: Boolean!
      }

      extend type Mutation {
        """Makes a new signing key and deprecates the current one (needs the admin scope)."""
        rotateSigningKey(input: RotateSigningKeyInput!): RotateSigningKeyPayload
        """Revokes a signing key at once: URLs it signed stop working (needs the admin scope)."""
        revokeSigningKey(input: RevokeSigningKeyInput!): RevokeSigningKeyPayload
        """Signs a private image URL (needs the sign scope)."""
        signUrl(input: SignUrlInput!): SignUrlPayload
      }
    `,
    objects: {
      Mutation: serviceMutations({
        rotateSigningKey: async ({ services, claims }, input: RotateSigningKeyInput) => {
          requireScope(claims, 'admin');
          const organizationId = input.organizationId ?? claims.organizationId;
          if (!organizationId) throw badRequest('organizationId is required for platform keys');
          const rotated = await services.signing.rotate(claims, organizationId, input.tenantId ?? claims.tenantId);
          return rotated.kid;
        },
        revokeSigningKey: async ({ services, claims }, input: { kid: string }) => {
          requireScope(claims, 'admin');
          // Unknown keys and keys of others answer alike, so existence does not leak.
          if (!(await services.signing.revoke(claims, input.kid))) throw notFound(`no signing key ${input.kid}`);
          return input.kid;
        },
        signUrl: async ({ services, claims, baseUrl }, input: SignUrlInput) => {
          requireScope(claims, 'sign');
          const [signed] = await services.signing.sign(claims, [input.path], input.ttlSeconds ?? undefined, baseUrl);
          return signed!;
        },
      }),
      RotateSigningKeyPayload: { plans: { signingKey: ($kid) => signingKeys.get({ kid: $kid }) } },
      RevokeSigningKeyPayload: { plans: { signingKey: ($kid) => signingKeys.get({ kid: $kid }) } },
    },
  };
}, 'ImgplaneSigningMutationsPlugin');

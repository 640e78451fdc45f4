/**
 * Webhook endpoints (secret shown once), replaying a delivery, CDN purge targets (credentials
 * write-only) and the invalidation API (purgeAsset, purgeSpace), through the platform services,
 * which check URLs, seal secrets and audit. The tables themselves are read-only here
 * (graphql/smart-tags.ts), so the delivery log is read with the generated queries.
 */
import { access } from 'postgraphile/grafast';
import { extendSchema, gql } from 'postgraphile/utils';
import type { WebhookEndpointChanges, WebhookEndpointInput } from '../../platform/events/webhook-endpoints.ts';
import type { PurgeTargetInput } from '../../platform/purge/purge-targets.ts';
import { serviceMutations } from './call-service.ts';

interface RowIdInput {
  rowId: string;
}

interface PurgeInput {
  /** Also delete the stored variants (they re-render on demand). */
  storage?: boolean | null;
}

export const EventMutationsPlugin = extendSchema((build) => {
  const { webhook_endpoints: endpoints, webhook_deliveries: deliveries, cdn_purge_targets: targets } = build.input.pgRegistry.pgResources;
  return {
    typeDefs: gql`
      input CreateWebhookEndpointInput {
        """Default: the caller's organization (platform keys must name one)."""
        organizationId: UUID
        """http(s) URL; loopback, link-local and private addresses are refused unless the operator allows them."""
        url: String!
        """Entries such as asset.created, asset.* or *; empty or absent: every event."""
        eventTypes: [String!]
        """Default: true."""
        enabled: Boolean
        description: String
      }

      type CreateWebhookEndpointPayload {
        webhookEndpoint: WebhookEndpoint
        """The HMAC-SHA256 key of X-Imgplane-Signature (docs/events.md). Shown this once: it is stored encrypted."""
        secret: String!
      }

      input UpdateWebhookEndpointInput {
        rowId: UUID!
        """Absent fields keep their value."""
        url: String
        eventTypes: [String!]
        """false disables the endpoint: nothing more is sent to it (pending deliveries end failed)."""
        enabled: Boolean
        description: String
      }

      type UpdateWebhookEndpointPayload {
        webhookEndpoint: WebhookEndpoint
      }

      input DeleteWebhookEndpointInput {
        rowId: UUID!
      }

      type DeleteWebhookEndpointPayload {
        """The id of the deleted endpoint (its deliveries and their log went with it)."""
        deletedRowId: UUID!
      }

      input ReplayWebhookDeliveryInput {
        rowId: UUID!
      }

      type ReplayWebhookDeliveryPayload {
        """The delivery, pending again: one more attempt, same body, same idempotency key."""
        webhookDelivery: WebhookDelivery
      }

      input CreateCdnPurgeTargetInput {
        """Default: the caller's organization (platform keys must name one)."""
        organizationId: UUID
        """Only this space's assets; absent: every asset of the organization."""
        spaceId: UUID
        """cloudflare, cloudfront, fastly, akamai or http (docs/events.md names each one's settings)."""
        provider: String!
        """Non-secret settings (zone, distribution, service, host, URL ...)."""
        settings: JSON!
        """The provider's credentials: stored encrypted, never readable again."""
        credentials: JSON!
        enabled: Boolean
        description: String
      }

      type CreateCdnPurgeTargetPayload {
        cdnPurgeTarget: CdnPurgeTarget
      }

      input SetCdnPurgeTargetCredentialsInput {
        rowId: UUID!
        """Replaces the stored credentials (write-only)."""
        credentials: JSON!
      }

      type SetCdnPurgeTargetCredentialsPayload {
        cdnPurgeTarget: CdnPurgeTarget
      }

      input DeleteCdnPurgeTargetInput {
        rowId: UUID!
      }

      type DeleteCdnPurgeTargetPayload {
        deletedRowId: UUID!
      }

      input PurgeAssetInput {
        assetId: UUID!
        """Also delete the stored variants (they re-render on demand). Default: false."""
        storage: Boolean
      }

      input PurgeSpaceInput {
        spaceId: UUID!
        """Also delete the stored variants (they re-render on demand). Default: false."""
        storage: Boolean
      }

      type PurgePayload {
        """Registered variants whose cached copies were dropped."""
        variants: Int!
        """Stored variants deleted (0 unless storage was asked for)."""
        storageDeleted: Int!
        """False when the shared cache (Redis) could not be reached."""
        sharedCacheCleared: Boolean!
        """Always "queued": the CDN purge follows through the outbox."""
        cdn: String!
      }

      extend type Mutation {
        """Adds a webhook endpoint of the organization (needs the admin scope of an organization-wide key)."""
        createWebhookEndpoint(input: CreateWebhookEndpointInput!): CreateWebhookEndpointPayload
        """Changes an endpoint's URL, event filter, description or enabled flag (admin scope)."""
        updateWebhookEndpoint(input: UpdateWebhookEndpointInput!): UpdateWebhookEndpointPayload
        """Deletes an endpoint and its delivery log (admin scope)."""
        deleteWebhookEndpoint(input: DeleteWebhookEndpointInput!): DeleteWebhookEndpointPayload
        """Sends a delivery again now, whatever its status (admin scope)."""
        replayWebhookDelivery(input: ReplayWebhookDeliveryInput!): ReplayWebhookDeliveryPayload
        """Adds a CDN to purge when assets change (admin scope; a tenant admin for its own spaces)."""
        createCdnPurgeTarget(input: CreateCdnPurgeTargetInput!): CreateCdnPurgeTargetPayload
        """Replaces a CDN purge target's credentials (admin scope)."""
        setCdnPurgeTargetCredentials(input: SetCdnPurgeTargetCredentialsInput!): SetCdnPurgeTargetCredentialsPayload
        """Deletes a CDN purge target (admin scope)."""
        deleteCdnPurgeTarget(input: DeleteCdnPurgeTargetInput!): DeleteCdnPurgeTargetPayload
        """Drops an asset's variants from every cache (and storage when asked) and queues the CDN purge (image:write scope); audited."""
        purgeAsset(input: PurgeAssetInput!): PurgePayload
        """Drops every variant of a space's assets from every cache (and storage when asked) and queues the CDN purge (image:write scope); audited."""
        purgeSpace(input: PurgeSpaceInput!): PurgePayload
      }
    `,
    objects: {
      Mutation: serviceMutations({
        createWebhookEndpoint: ({ services, claims }, input: WebhookEndpointInput) => services.webhooks.create(claims, input),
        updateWebhookEndpoint: async ({ services, claims }, input: RowIdInput & WebhookEndpointChanges) => {
          await services.webhooks.update(claims, input.rowId, input);
          return input.rowId;
        },
        deleteWebhookEndpoint: async ({ services, claims }, input: RowIdInput) => {
          await services.webhooks.delete(claims, input.rowId);
          return input.rowId;
        },
        replayWebhookDelivery: async ({ services, claims }, input: RowIdInput) => {
          await services.webhooks.replay(claims, input.rowId);
          return input.rowId;
        },
        createCdnPurgeTarget: ({ services, claims }, input: PurgeTargetInput) => services.purgeTargets.create(claims, input),
        setCdnPurgeTargetCredentials: async ({ services, claims }, input: RowIdInput & Pick<PurgeTargetInput, 'credentials'>) => {
          await services.purgeTargets.setCredentials(claims, input.rowId, input.credentials);
          return input.rowId;
        },
        deleteCdnPurgeTarget: async ({ services, claims }, input: RowIdInput) => {
          await services.purgeTargets.delete(claims, input.rowId);
          return input.rowId;
        },
        purgeAsset: ({ services, claims }, input: PurgeInput & { assetId: string }) =>
          services.cachePurge.purgeAsset(claims, input.assetId, { includeStorage: input.storage === true }),
        purgeSpace: ({ services, claims }, input: PurgeInput & { spaceId: string }) =>
          services.cachePurge.purgeSpace(claims, input.spaceId, { includeStorage: input.storage === true }),
      }),
      CreateWebhookEndpointPayload: {
        plans: {
          webhookEndpoint: ($issued) => endpoints!.get({ id: access($issued, 'id') }),
          secret: ($issued) => access($issued, 'secret'),
        },
      },
      UpdateWebhookEndpointPayload: { plans: { webhookEndpoint: ($id) => endpoints!.get({ id: $id }) } },
      DeleteWebhookEndpointPayload: { plans: { deletedRowId: ($id) => $id } },
      ReplayWebhookDeliveryPayload: { plans: { webhookDelivery: ($id) => deliveries!.get({ id: $id }) } },
      CreateCdnPurgeTargetPayload: { plans: { cdnPurgeTarget: ($id) => targets!.get({ id: $id }) } },
      SetCdnPurgeTargetCredentialsPayload: { plans: { cdnPurgeTarget: ($id) => targets!.get({ id: $id }) } },
      DeleteCdnPurgeTargetPayload: { plans: { deletedRowId: ($id) => $id } },
    },
  };
}, 'ImgplaneEventMutationsPlugin');

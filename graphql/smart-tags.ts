/**
 * The shape of the GraphQL API over the `imgplane` schema: which tables are read-only, which
 * columns never appear, and friendly names for relations. Descriptions stay in the SQL comments
 * (db/schema); the tags live here because `comment on` replaces a whole comment, so tagging a
 * table in SQL would mean copying its description out of the migration that owns it.
 *
 * Writes that need validation or secrets go through the custom mutations (graphql/mutations/),
 * so their tables are read-only here. Every row anyone sees is still decided by RLS.
 */
import { jsonPgSmartTags, type JSONPgSmartTags } from 'postgraphile/utils';

const READ_ONLY = '-insert -update -delete';
/** Not in the schema at all: no field, no filter, no ordering, no input. */
const ABSENT = '-*';

/** Backward relation names for the composite tenancy foreign keys (default names are unreadable). */
const tenancyRelations = (child: string) => ({
  [`${child}_organization_id_fkey`]: { tags: { fieldName: 'organization', foreignFieldName: camel(child) } },
  [`${child}_tenant_id_organization_id_fkey`]: { tags: { fieldName: 'tenant', foreignFieldName: camel(child) } },
  [`${child}_space_id_tenant_id_organization_id_fkey`]: { tags: { fieldName: 'space', foreignFieldName: camel(child) } },
});

function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/**
 * Foreign keys (asset_id, organization_id, tenant_id, space_id) to an asset: asset_id leads an
 * index of the referencing table (its primary key or a unique key), which serves the lookup, but
 * PostGraphile only counts indexes holding every column and would drop Asset.versions otherwise.
 */
const SERVED_BY_ASSET_ID_INDEX = { isIndexed: true } as const;

/** Unique constraints that exist only as composite foreign-key targets: no lookups or mutations by them. */
const FOREIGN_KEY_TARGET_ONLY = { tags: { behavior: ABSENT } };

export const IMGPLANE_SMART_TAGS: JSONPgSmartTags = {
  version: 1,
  config: {
    class: {
      'imgplane.organizations': {},
      'imgplane.tenants': {
        constraint: {
          tenants_organization_id_fkey: { tags: { fieldName: 'organization', foreignFieldName: 'tenants' } },
          tenants_id_organization_id_key: FOREIGN_KEY_TARGET_ONLY,
        },
      },
      'imgplane.spaces': {
        tags: {
          // spaces reach their organization through the composite tenant key; this adds Organization.spaces.
          foreignKey: '(organization_id) references imgplane.organizations (id)|@fieldName organization|@foreignFieldName spaces',
        },
        constraint: {
          spaces_tenant_id_organization_id_fkey: { tags: { fieldName: 'tenant', foreignFieldName: 'spaces' } },
          spaces_id_tenant_id_organization_id_key: FOREIGN_KEY_TARGET_ONLY,
        },
      },
      'imgplane.policies': {
        // setPolicy / unsetPolicy validate values against core/policy.ts first.
        tags: { behavior: READ_ONLY },
        attribute: { key: { tags: { behavior: '+filterBy +orderBy' } } },
        constraint: {
          ...tenancyRelations('policies'),
          // NULLS NOT DISTINCT: a lookup with non-null arguments could never find an organization-level row.
          policies_organization_id_tenant_id_space_id_key_key: FOREIGN_KEY_TARGET_ONLY,
        },
      },
      'imgplane.presets': {
        attribute: {
          name: { tags: { behavior: '+filterBy +orderBy' } },
          // Optional in PresetInput: the _010_derive_scope trigger fills it from the space, the
          // tenant or the caller's organisation (db/functions/048_preset_scope.sql).
          organization_id: { tags: { hasDefault: true } },
        },
        constraint: {
          ...tenancyRelations('presets'),
          presets_organization_id_tenant_id_space_id_name_key: FOREIGN_KEY_TARGET_ONLY,
        },
      },
      'imgplane.assets': {
        // Uploads go through POST /v1/spaces/{id}/assets; deletion is softDeleteAsset.
        tags: { behavior: '-insert -delete' },
        attribute: {
          folder: { tags: { behavior: '+filterBy +orderBy' } },
          access: { tags: { behavior: '+filterBy' } },
          created_at: { tags: { behavior: '+filterBy +orderBy' } },
          updated_at: { tags: { behavior: '+filterBy +orderBy' } },
          deleted_at: { tags: { behavior: '+filterBy +orderBy -update' } },
          original_filename: { tags: { behavior: '+filterBy +orderBy -update' } },
          current_version: { tags: { behavior: '-update' } },
          created_by_api_key: { tags: { behavior: '-update' } },
        },
        constraint: {
          assets_space_id_tenant_id_organization_id_fkey: { tags: { fieldName: 'space', foreignFieldName: 'assets' } },
          assets_created_by_api_key_fkey: { tags: { fieldName: 'createdBy', foreignFieldName: 'createdAssets' } },
          assets_id_organization_id_tenant_id_space_id_key: FOREIGN_KEY_TARGET_ONLY,
        },
      },
      'imgplane.asset_versions': {
        tags: { behavior: READ_ONLY },
        constraint: {
          asset_versions_asset_id_organization_id_tenant_id_space_id_fkey: {
            tags: { fieldName: 'asset', foreignFieldName: 'versions', ...SERVED_BY_ASSET_ID_INDEX },
          },
        },
      },
      'imgplane.derived_assets': {
        tags: { behavior: READ_ONLY },
        attribute: {
          output_format: { tags: { behavior: '+filterBy +orderBy' } },
          created_at: { tags: { behavior: '+filterBy +orderBy' } },
          last_accessed_at: { tags: { behavior: '+filterBy +orderBy' } },
          // the variant lifecycle's index keys, derived from the two columns above
          idle_since: { tags: { behavior: ABSENT } },
          never_served: { tags: { behavior: ABSENT } },
        },
        constraint: {
          derived_assets_asset_id_organization_id_tenant_id_space_id_fkey: {
            tags: { fieldName: 'asset', foreignFieldName: 'derivedAssets', ...SERVED_BY_ASSET_ID_INDEX },
          },
          derived_assets_asset_id_version_fkey: {
            tags: { fieldName: 'assetVersion', foreignFieldName: 'derivedAssets', ...SERVED_BY_ASSET_ID_INDEX },
          },
        },
      },
      'imgplane.api_keys': {
        // createApiKey returns the secret once; revokeApiKey revokes.
        tags: { behavior: READ_ONLY },
        attribute: {
          secret_hash: { tags: { behavior: ABSENT } },
          status: { tags: { behavior: '+filterBy' } },
          created_at: { tags: { behavior: '+filterBy +orderBy' } },
        },
        constraint: {
          api_keys_organization_id_fkey: { tags: { fieldName: 'organization', foreignFieldName: 'apiKeys' } },
          api_keys_tenant_id_organization_id_fkey: { tags: { fieldName: 'tenant', foreignFieldName: 'apiKeys' } },
        },
      },
      'imgplane.signing_keys': {
        // rotateSigningKey / revokeSigningKey go through the signing service, which seals secrets.
        tags: { behavior: READ_ONLY },
        attribute: {
          secret_ciphertext: { tags: { behavior: ABSENT } },
          status: { tags: { behavior: '+filterBy' } },
          created_at: { tags: { behavior: '+filterBy +orderBy' } },
        },
        constraint: {
          signing_keys_organization_id_fkey: { tags: { fieldName: 'organization', foreignFieldName: 'signingKeys' } },
          signing_keys_tenant_id_organization_id_fkey: { tags: { fieldName: 'tenant', foreignFieldName: 'signingKeys' } },
        },
      },
      'imgplane.audit_logs': {
        // Partitioned by month, so its primary key is (id, created_at); id alone is still unique
        // (one sequence), and auditLogByRowId keeps working.
        tags: { behavior: READ_ONLY, unique: 'id' },
        // PostGraphile cannot see a partitioned table's indexes and would offer every column for
        // filtering and ordering: only what an index serves, as before the partitioning.
        attribute: {
          tenant_id: { tags: { behavior: '+filterBy -orderBy' } },
          resource_type: { tags: { behavior: '+filterBy -orderBy' } },
          resource_id: { tags: { behavior: '+filterBy -orderBy' } },
          action: { tags: { behavior: '+filterBy -orderBy' } },
          actor_type: { tags: { behavior: '-filterBy -orderBy' } },
          actor_id: { tags: { behavior: '-filterBy -orderBy' } },
          created_at: { tags: { behavior: '+filterBy +orderBy' } },
        },
      },
      'imgplane.usage_daily_by_space': {
        tags: {
          behavior: READ_ONLY,
          foreignKey: '(space_id) references imgplane.spaces (id)|@fieldName space|@foreignFieldName dailyUsage',
        },
      },
      'imgplane.usage_monthly_by_organization': {
        tags: {
          behavior: READ_ONLY,
          foreignKey: '(organization_id) references imgplane.organizations (id)|@fieldName organization|@foreignFieldName monthlyUsage',
        },
      },
      // The platform operator's table (only imgplane_admin may read or change it): the platform
      // defaults and maxima of policy keys. Rows are synced from core/policy.ts, never created here.
      'imgplane.policy_keys': {
        tags: { behavior: '-insert -delete' },
        attribute: {
          kind: { tags: { behavior: '+filterBy -update' } },
          organization_only: { tags: { behavior: '-update' } },
          builtin_default: { tags: { behavior: '-update' } },
          builtin_maximum: { tags: { behavior: '-update' } },
        },
      },
      // Storage totals are read through usage_daily_by_space (storage_bytes, asset_count).
      'imgplane.storage_daily': { tags: { behavior: ABSENT } },
      // The raw counters are read through the two usage views above.
      'imgplane.usage_metrics': { tags: { behavior: ABSENT } },
      // db/apply.ts's bookkeeping
      'imgplane.applied_sql': { tags: { behavior: ABSENT } },
      'imgplane.usage_monthly': { tags: { behavior: ABSENT } },
      // created and dropped through createAnalystLogin / dropAnalystLogin
      'imgplane.analyst_logins': { tags: { behavior: READ_ONLY } },
      // The outbox belongs to the worker.
      'imgplane.events': { tags: { behavior: ABSENT } },
      // Webhooks (graphql/mutations/events.ts): created, changed and deleted through the service,
      // which checks URLs and seals the secret; the secret is in createWebhookEndpoint's answer only.
      'imgplane.webhook_endpoints': {
        tags: { behavior: READ_ONLY },
        attribute: {
          secret_ciphertext: { tags: { behavior: ABSENT } },
          enabled: { tags: { behavior: '+filterBy' } },
        },
        constraint: {
          webhook_endpoints_organization_id_fkey: { tags: { fieldName: 'organization', foreignFieldName: 'webhookEndpoints' } },
        },
      },
      // The delivery log: written by the worker; replayWebhookDelivery sets one pending again.
      'imgplane.webhook_deliveries': {
        tags: { behavior: READ_ONLY },
        attribute: {
          status: { tags: { behavior: '+filterBy' } },
          event_type: { tags: { behavior: '+filterBy' } },
          created_at: { tags: { behavior: '+filterBy +orderBy' } },
        },
        constraint: {
          webhook_deliveries_organization_id_fkey: { tags: { fieldName: 'organization', foreignFieldName: 'webhookDeliveries' } },
          webhook_deliveries_endpoint_id_fkey: { tags: { fieldName: 'endpoint', foreignFieldName: 'deliveries' } },
        },
      },
      'imgplane.webhook_delivery_attempts': {
        tags: { behavior: READ_ONLY },
        attribute: { started_at: { tags: { behavior: '+filterBy +orderBy' } } },
        constraint: {
          webhook_delivery_attempts_organization_id_fkey: { tags: { fieldName: 'organization', foreignFieldName: 'webhookDeliveryAttempts' } },
          webhook_delivery_attempts_delivery_id_fkey: { tags: { fieldName: 'delivery', foreignFieldName: 'attemptLog' } },
        },
      },
      // CDN purge targets: credentials are write-only (createCdnPurgeTarget, setCdnPurgeTargetCredentials).
      'imgplane.cdn_purge_targets': {
        tags: { behavior: READ_ONLY },
        attribute: { secret_ciphertext: { tags: { behavior: ABSENT } } },
        constraint: {
          cdn_purge_targets_organization_id_fkey: { tags: { fieldName: 'organization', foreignFieldName: 'cdnPurgeTargets' } },
          cdn_purge_targets_space_id_fkey: { tags: { fieldName: 'space', foreignFieldName: 'cdnPurgeTargets' } },
        },
      },
    },
    procedure: {
      // Functions are hidden unless listed (graphql/exposure.ts); this one is Space.effectivePolicy.
      'imgplane.spaces_effective_policy': { tags: { behavior: '+typeField -filterBy -orderBy' } },
      // Data-team logins (db/functions/810_analyst_logins.sql): the password is in this answer only.
      'imgplane.create_analyst_login': { tags: { behavior: '+mutationField' } },
      'imgplane.drop_analyst_login': { tags: { behavior: '+mutationField' } },
    },
  },
};

export const ImgplaneSmartTagsPlugin = jsonPgSmartTags(IMGPLANE_SMART_TAGS, null, {
  name: 'ImgplaneSmartTagsPlugin',
  description: 'Shapes the imgplane GraphQL API (read-only tables, absent secret columns, relation names).',
});

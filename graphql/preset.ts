/**
 * The PostGraphile preset of the control plane. `graphqlSchemaPreset` is everything that shapes
 * the schema (and all that `npm run graphql:schema` needs); `graphqlServerPreset` adds what serving
 * it over HTTP needs: per-request context and pgSettings, error masking and the Ruru IDE.
 */
import type pg from 'pg';
import { makePgService } from 'postgraphile/adaptors/pg';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';
import { AfterGeneratedWritesPlugin } from './after-generated-writes.ts';
import { EffectivePolicyDefaultsPlugin } from './effective-policy.ts';
import { makeMaskError, type ErrorLogger } from './errors.ts';
import { ExposurePlugin } from './exposure.ts';
import { JsonNullValuesPlugin } from './nullability.ts';
import { ApiKeyMutationsPlugin } from './mutations/api-keys.ts';
import { AssetMutationsPlugin } from './mutations/assets.ts';
import { PolicyMutationsPlugin } from './mutations/policies.ts';
import { SigningMutationsPlugin } from './mutations/signing.ts';
import { EventMutationsPlugin } from './mutations/events.ts';
import { InputValidationPlugin } from './input-validation.ts';
import { GRAPHQL_BODY_LIMIT_BYTES } from './operation-limits.ts';
import { graphqlContext, type GraphqlServices } from './request-context.ts';
import { ImgplaneSmartTagsPlugin } from './smart-tags.ts';
import { LeakproofStartsWithPlugin } from './starts-with.ts';

export const GRAPHQL_PATH = '/graphql';
export const GRAPHIQL_PATH = '/graphiql';

/**
 * Filter operators offered on connections: comparisons, membership and array matching, which
 * indexes can serve, and startsWith (graphql/starts-with.ts, not the plugin's LIKE). Pattern and
 * regex operators are left out (cheap to ask, costly to run).
 */
const FILTER_OPERATORS = [
  'isNull',
  'equalTo',
  'notEqualTo',
  'distinctFrom',
  'notDistinctFrom',
  'in',
  'notIn',
  'lessThan',
  'lessThanOrEqualTo',
  'greaterThan',
  'greaterThanOrEqualTo',
  'contains',
  'containedBy',
  'overlaps',
  'anyEqualTo',
];

export function graphqlSchemaPreset(pool: pg.Pool): GraphileConfig.Preset {
  return {
    extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
    plugins: [
      ImgplaneSmartTagsPlugin,
      ExposurePlugin,
      JsonNullValuesPlugin,
      InputValidationPlugin,
      EffectivePolicyDefaultsPlugin,
      AfterGeneratedWritesPlugin,
      PolicyMutationsPlugin,
      ApiKeyMutationsPlugin,
      SigningMutationsPlugin,
      AssetMutationsPlugin,
      EventMutationsPlugin,
      LeakproofStartsWithPlugin,
    ],
    pgServices: [
      makePgService({
        pool,
        schemas: ['imgplane'],
        pubsub: false,
        // Introspect with the platform operator's grants, whatever the login role: the schema
        // is then the same on every machine, and columns no request role may read (key
        // secrets) stay out even where a smart tag would be forgotten.
        pgSettingsForIntrospection: { role: 'imgplane_admin' },
      }),
    ],
    schema: {
      connectionFilterAllowedOperators: FILTER_OPERATORS,
      connectionFilterComputedColumns: false,
      connectionFilterSetofFunctions: false,
      connectionFilterRelations: false,
    },
  };
}

export interface GraphqlServerOptions {
  services: GraphqlServices;
  publicBaseUrl: string | undefined;
  /** Ruru (GraphiQL) at /graphiql outside production. */
  production: boolean;
  log: ErrorLogger;
}

export function graphqlServerPreset(options: GraphqlServerOptions): GraphileConfig.Preset {
  return {
    extends: [graphqlSchemaPreset(options.services.pool)],
    grafast: {
      context: graphqlContext(options.services, options.publicBaseUrl),
      explain: false,
    },
    grafserv: {
      graphqlPath: GRAPHQL_PATH,
      graphiql: !options.production,
      graphiqlPath: GRAPHIQL_PATH,
      graphiqlOnGraphQLGET: false,
      graphqlOverGET: false,
      websockets: false,
      watch: false,
      maskError: makeMaskError(options.log),
      // A Fastify route limit on /graphql (413 beyond it); operation-limits.ts bounds what fits.
      maxRequestLength: GRAPHQL_BODY_LIMIT_BYTES,
    },
  };
}

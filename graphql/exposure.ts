/**
 * Default-deny rules that no single smart tag could express:
 * - SQL functions are hidden unless a smart tag opts one in. Most functions in `imgplane` are
 *   RLS helpers or security-definer key functions (authenticate_api_key, create_api_key, ...):
 *   exposing a new one must be a decision, not a side effect of writing it.
 * - Identity, bookkeeping and tenancy columns are never written through GraphQL: ids and
 *   timestamps come from defaults and triggers, and moving a row to another organization, tenant
 *   or space is not an update (composite foreign keys forbid it anyway).
 */
import type { PgResource } from 'postgraphile/@dataplan/pg';

const SERVER_SET_COLUMNS = new Set(['id', 'created_at', 'updated_at']);
const TENANCY_COLUMNS = new Set(['organization_id', 'tenant_id', 'space_id']);

/** Several behavior fragments in one string (the type only knows single fragments). */
const behaviors = (fragments: string) => fragments as GraphileBuild.BehaviorString;

function isFunction(resource: PgResource): boolean {
  return resource.parameters !== undefined;
}

export const ExposurePlugin: GraphileConfig.Plugin = {
  name: 'ImgplaneExposurePlugin',
  description: 'Hides SQL functions unless tagged; keeps ids, timestamps and tenancy columns read-only.',
  version: '1.0.0',
  schema: {
    entityBehavior: {
      pgResource: {
        inferred: {
          after: ['inferred'],
          callback(behavior, resource) {
            return isFunction(resource) ? [behavior, behaviors('-queryField -mutationField -typeField')] : behavior;
          },
        },
      },
      pgCodecAttribute: {
        inferred: {
          after: ['inferred'],
          callback(behavior, [, attributeName]) {
            if (SERVER_SET_COLUMNS.has(attributeName)) return [behavior, behaviors('-insert -update')];
            if (TENANCY_COLUMNS.has(attributeName)) return [behavior, behaviors('-update')];
            return behavior;
          },
        },
      },
    },
  },
};

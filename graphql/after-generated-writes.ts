/**
 * What follows a generated create, update or delete mutation once its SQL has run:
 * - An update that matched no row (missing, or hidden by RLS) is an error, as a delete that
 *   matches nothing already is; otherwise the client would get `null` and no hint why.
 * - Delivery caches what spaces and assets look like (platform/delivery/catalog.ts): a change to
 *   an organization, tenant, space (status, slugs), preset or asset (access) evicts those entries
 *   on this instance at once. Custom mutations evict in their own plans.
 */
import { constant, context, sideEffect, type Step } from 'postgraphile/grafast';
import { wrapPlans } from 'postgraphile/utils';
import { notFound } from '../core/errors.ts';
import type { GraphqlServices } from './request-context.ts';

const SHAPES_SPACES = new Set(['organizations', 'tenants', 'spaces', 'presets']);

interface GeneratedWrite {
  resourceName: string;
  isUpdate: boolean;
}

/** A generated mutation's payload is `object({ result: $write })`; $write yields null for no row. */
interface MutationPayloadStep extends Step {
  get(key: 'result'): Step<unknown> & { get(attribute: 'id'): Step<string | null> };
}

function evict(services: GraphqlServices, resourceName: string, rowId: string | null): void {
  if (SHAPES_SPACES.has(resourceName)) services.catalog.forgetSpaces();
  if (resourceName === 'assets' && rowId !== null) services.catalog.forgetAsset(rowId);
}

export const AfterGeneratedWritesPlugin = wrapPlans<GeneratedWrite>(
  ({ scope }) => {
    const resourceName = scope.pgFieldResource?.name;
    if (!scope.isRootMutation || resourceName === undefined) return null;
    if (!(scope.isPgCreateMutation || scope.isPgUpdateMutation || scope.isPgDeleteMutation)) return null;
    return { resourceName, isUpdate: scope.isPgUpdateMutation === true };
  },
  ({ resourceName, isUpdate }) =>
    (plan) => {
      const $payload = plan() as MutationPayloadStep;
      const $write = $payload.get('result');
      // Depends on the write step, so it runs after the SQL (and not at all if the SQL failed).
      // only assets are evicted by id; not every table has an `id` (policy_keys is keyed by `key`)
      const $id = resourceName === 'assets' ? $write.get('id') : constant(null);
      sideEffect({ context: context(), row: $write, id: $id }, ({ context, row, id }) => {
        if (isUpdate && row === null) {
          throw notFound(`No values were updated in collection '${resourceName}' because no values you can update were found matching these criteria.`);
        }
        evict(context.services, resourceName, id);
      });
      return $payload;
    },
  { name: 'ImgplaneAfterGeneratedWritesPlugin', description: 'Reports updates that matched no row; evicts delivery caches.' },
);

/**
 * Delivery caches what a space and an asset look like (server/delivery/catalog.ts). A generated
 * mutation that changes what delivery reads evicts those entries on this instance as soon as it
 * has run: a space, tenant or organization (status, slugs), a preset, or an asset (access).
 * Custom mutations evict in their own plans.
 */
import { context, sideEffect, type Step } from 'postgraphile/grafast';
import { wrapPlans } from 'postgraphile/utils';

const SHAPES_SPACES = new Set(['organizations', 'tenants', 'spaces', 'presets']);

type Eviction = 'spaces' | 'asset';

/** The step of the changed row inside a generated mutation's payload (`object({ result })`). */
interface MutationPayloadStep extends Step {
  get(key: 'result'): Step & { get(attribute: 'id'): Step<string> };
}

export const DeliveryCacheEvictionPlugin = wrapPlans<Eviction>(
  ({ scope }) => {
    if (!scope.isRootMutation || !(scope.isPgCreateMutation || scope.isPgUpdateMutation || scope.isPgDeleteMutation)) {
      return null;
    }
    const resourceName = scope.pgFieldResource?.name;
    if (resourceName === undefined) return null;
    if (SHAPES_SPACES.has(resourceName)) return 'spaces';
    return resourceName === 'assets' ? 'asset' : null;
  },
  (eviction) => (plan) => {
    const $payload = plan() as MutationPayloadStep;
    // Created after the mutation's own write step, so Grafast runs it after that write.
    if (eviction === 'spaces') {
      sideEffect(context(), ({ services }) => services.catalog.forgetSpaces());
    } else {
      const $id = $payload.get('result').get('id');
      sideEffect({ context: context(), id: $id }, ({ context, id }) => context.services.catalog.forgetAsset(id));
    }
    return $payload;
  },
  { name: 'ImgplaneDeliveryCacheEvictionPlugin', description: 'Evicts delivery caches after generated mutations.' },
);

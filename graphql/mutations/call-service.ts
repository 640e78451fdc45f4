/**
 * The one way custom mutations run: each is a side-effect step that calls a platform service
 * with the request's context (claims, services, base URL) and the mutation's `input` argument.
 * The services open their own transactions as the caller, so RLS applies exactly as over HTTP.
 */
import { context, sideEffect, type FieldArgs, type ObjectPlan, type Step } from 'postgraphile/grafast';
import { unauthorized } from '../../core/errors.ts';

/**
 * `input` is typed by each mutation as the TypeScript mirror of its GraphQL input type: GraphQL
 * has already checked the argument against that type before any plan runs.
 */
type ServiceCall = (context: Grafast.Context, input: never) => Promise<unknown>;

function callService(fieldArgs: FieldArgs, call: ServiceCall): Step {
  return sideEffect({ context: context(), input: fieldArgs.getRaw('input') }, ({ context, input }) => {
    // Every custom mutation acts for a key; refusing anonymous callers here also keeps the
    // services' own transactions (which know nothing of GraphQL) from answering them at all.
    if (context.claims.role === 'imgplane_anonymous') {
      throw unauthorized('an X-Api-Key header is required');
    }
    return call(context, input as never);
  });
}

/** The `Mutation` plans of custom mutations: field name → service call; the step yields its result. */
export function serviceMutations(calls: Record<string, ServiceCall>): ObjectPlan {
  return {
    plans: Object.fromEntries(
      Object.entries(calls).map(([fieldName, call]) => [fieldName, (_$root: Step, fieldArgs: FieldArgs) => callService(fieldArgs, call)]),
    ),
  };
}

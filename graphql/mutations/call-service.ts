/**
 * The one way custom mutations run: a side-effect step that calls a platform service with the
 * request's context (claims, services, base URL) and the mutation's `input` argument, as sent.
 * The services open their own transactions as the caller, so RLS applies exactly as over HTTP.
 */
import { context, sideEffect, type FieldArgs, type Step } from 'postgraphile/grafast';

/**
 * `TInput` is the TypeScript mirror of the mutation's GraphQL input type: GraphQL has already
 * checked the argument against that type before any plan runs.
 */
export function callService<TInput, TResult>(
  fieldArgs: FieldArgs,
  call: (context: Grafast.Context, input: TInput) => Promise<TResult>,
): Step<TResult> {
  return sideEffect({ context: context(), input: fieldArgs.getRaw('input') }, ({ context, input }) =>
    call(context, input as TInput),
  );
}

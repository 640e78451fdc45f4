/**
 * CORS for a list of allowed origins (the `cors_allowed_origins` policy): which
 * `Access-Control-Allow-Origin` an answer gets, and whether it must say `Vary: Origin`. A list of
 * specific origins makes the answer depend on the request's Origin, so shared caches (CDNs) must
 * key on it; `*` and an empty list answer every origin alike.
 */
export interface CorsDecision {
  /** The `Access-Control-Allow-Origin` value, or undefined for none. */
  allowOrigin: string | undefined;
  varyOrigin: boolean;
}

const NO_CORS: CorsDecision = Object.freeze({ allowOrigin: undefined, varyOrigin: false });
const ANY_ORIGIN: CorsDecision = Object.freeze({ allowOrigin: '*', varyOrigin: false });

export function corsFor(origin: string | undefined, allowed: readonly string[]): CorsDecision {
  if (allowed.includes('*')) return ANY_ORIGIN;
  if (allowed.length === 0) return NO_CORS;
  return { allowOrigin: origin !== undefined && allowed.includes(origin) ? origin : undefined, varyOrigin: true };
}

/** Types of worker.js for TypeScript callers (its tests); the worker itself ships as plain JS. */

/** The JSON stored in the SIGNING_KEYS KV namespace under each kid (see README.md). */
export interface EdgeSigningKeyRecord {
  secret: string;
  tenantScope: string;
  status: 'active' | 'deprecated' | 'revoked';
  graceUntil: number | null;
  pathPrefix: string;
}

export interface KvNamespaceLike {
  get(key: string): Promise<string | null>;
}

export interface EdgeEnv {
  SIGNING_KEYS: KvNamespaceLike;
  /** 'true' binds the request host into the signature (must match the server's setting). */
  SIGNING_HOST_BINDING?: string;
}

export type ForwardInit = RequestInit & { cf?: { cacheKey?: string } };

export interface EdgeWorker {
  fetch(request: Request, env: EdgeEnv): Promise<Response>;
}

export function createWorker(options?: {
  fetch?: (request: Request, init?: ForwardInit) => Promise<Response>;
  /** Unix seconds. */
  now?: () => number;
}): EdgeWorker;

declare const worker: EdgeWorker;
export default worker;

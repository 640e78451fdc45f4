/**
 * The shared signing test vectors (signing.json): one signed request each, the key record the
 * verifier finds under its kid, the clock, and the outcome every verifier must reach. The key
 * record has the edge worker's KV format (deploy/edge/README.md), so the same file feeds
 * core/signing.ts and deploy/edge/worker.js.
 */
import { readFileSync } from 'node:fs';
import type { SigningKeyStatus } from '../../core/signing.ts';

export type SigningOutcome = 'ok' | 'expired' | 'bad_signature' | 'malformed' | 'forbidden';

export interface SigningKeyRecord {
  /** base64 of the HMAC secret. */
  secret: string;
  /** Tenant id, or '' for an organisation-wide key. */
  tenantScope: string;
  status: SigningKeyStatus;
  /** End of a deprecated key's grace period (unix seconds), or null. */
  graceUntil: number | null;
  /** The part of the URL space the key may sign. */
  pathPrefix: string;
}

export interface SigningVector {
  name: string;
  /** The record stored under `kid`, or null when no key has that id. */
  key: SigningKeyRecord | null;
  /** The path as requested. */
  path: string;
  exp: number;
  kid: string;
  sig: string;
  /** The query string as sent when it is not just `exp`, `kid` and `sig` above (malformed cases). */
  query?: string;
  /** Host bound into the signature; '' when host binding is off. */
  host: string;
  now: number;
  expected: SigningOutcome;
}

export const SIGNING_VECTORS_FILE = new URL('./signing.json', import.meta.url);

export function loadSigningVectors(): SigningVector[] {
  return JSON.parse(readFileSync(SIGNING_VECTORS_FILE, 'utf8')) as SigningVector[];
}

/** The query string a client sends for this vector. */
export function vectorQuery(vector: SigningVector): string {
  return vector.query ?? new URLSearchParams({ exp: String(vector.exp), kid: vector.kid, sig: vector.sig }).toString();
}

/**
 * Variants of a signed URL with one character replaced: each position gets a few substitutes
 * (letter, digit and separator classes) so every byte of path, exp, kid and sig is exercised.
 */
export function* oneCharacterMutations(url: string): Generator<string> {
  const substitutes = ['A', 'b', '0', '9', '_', '-', '/', '%', '='];
  for (let index = 0; index < url.length; index += 1) {
    for (const substitute of substitutes) {
      if (substitute !== url[index]) yield url.slice(0, index) + substitute + url.slice(index + 1);
    }
  }
}

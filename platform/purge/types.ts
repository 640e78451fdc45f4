/** What a CDN purge asks for; each adapter uses the parts its CDN can act on. */
export interface PurgeRequest {
  /** Stable per event and target: vendors that dedupe requests (CloudFront CallerReference) get it. */
  reference: string;
  /** Cache tags (platform/purge/cache-tags.ts): Cloudflare, Fastly, Akamai, generic HTTP. */
  tags: string[];
  /** Path patterns ending in `*` where a prefix is meant: CloudFront, generic HTTP. */
  paths: string[];
  /** Absolute URLs of known variants: Cloudflare (purge by URL), generic HTTP. */
  urls: string[];
}

export interface CdnPurgeAdapter {
  readonly provider: string;
  /** Resolves once the CDN accepted the purge; rejects (with the vendor's answer) otherwise. */
  purge(request: PurgeRequest): Promise<void>;
}

/** A vendor's non-2xx answer, with enough of its body to tell why. */
export class PurgeRejectedError extends Error {
  override name = 'PurgeRejectedError';
  constructor(provider: string, status: number, body: string) {
    super(`${provider} answered HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

/** Splits a list into chunks of at most `size` (vendors cap items per call). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let index = 0; index < items.length; index += size) out.push(items.slice(index, index + size));
  return out;
}

/**
 * Signed `/v1/priv/` URLs, for servers only: signing needs a secret that must never reach a browser.
 *
 * - `signImageUrl` computes the signature locally with a signing key's secret (the record the edge
 *   validator is given, deploy/edge/README.md), through the server's own core/signing.ts: no round
 *   trip, the same canonical string by construction.
 * - `requestSignedUrls` asks the server (`POST /v1/sign`, an API key with the `sign` scope): the
 *   signing key's secret never leaves it, and the space's TTL policy applies.
 */
import { ImgplaneError, type ErrorCode } from '../../../core/errors.ts';
import { signedUrl, signPath } from '../../../core/signing.ts';

const RELATIVE_BASE = 'http://relative.invalid';

export interface SigningKeySecret {
  kid: string;
  /** The 32-byte secret: bytes, or standard base64 as in the edge's key records. */
  secret: Uint8Array | string;
  /** The key's tenant id; null or absent for an organisation-wide key. */
  tenantId?: string | null;
}

export interface SignOptions {
  /** Lifetime in whole seconds from `now`. */
  ttlSeconds: number;
  /** Unix seconds; default: this machine's clock. */
  now?: number;
  /** Only with SIGNING_HOST_BINDING=true on the server: the host the URL is served under. */
  host?: string;
}

/** The URL (full or a path) with `?exp=&kid=&sig=` appended; any query it had is dropped. */
export function signImageUrl(url: string, key: SigningKeySecret, options: SignOptions): string {
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new ImgplaneError('bad_request', 'ttlSeconds must be a positive integer');
  }
  const parsed = new URL(url, RELATIVE_BASE);
  if (!parsed.pathname.startsWith('/v1/priv/')) {
    throw new ImgplaneError('bad_request', 'only /v1/priv/ URLs are signed (public URLs need no signature)');
  }
  const exp = Math.floor(options.now ?? Date.now() / 1000) + options.ttlSeconds;
  const secret = typeof key.secret === 'string' ? Buffer.from(key.secret, 'base64') : Buffer.from(key.secret);
  const sig = signPath({ secret, path: parsed.pathname, exp, tenantScope: key.tenantId ?? '', host: options.host });
  const origin = parsed.origin === RELATIVE_BASE ? '' : parsed.origin;
  return origin + signedUrl(parsed.pathname, { exp, kid: key.kid, sig });
}

/** One entry of `POST /v1/sign`'s answer. */
export interface SignedUrl {
  path: string;
  url: string;
  expiresAt: number;
  ttlSeconds: number;
  /** True when the TTL asked for was above the policy's maximum and was cut to it. */
  clamped: boolean;
}

export interface RequestSignedUrlsOptions {
  /** The imgplane server, e.g. `https://images-api.example.com`. */
  baseUrl: string;
  /** An API key with the `sign` scope. */
  apiKey: string;
  /** Up to 100 `/v1/priv/` paths or URLs. */
  paths: readonly string[];
  /** Default: the space policy's `signed_url_ttl_default_seconds`. */
  ttlSeconds?: number;
  fetch?: typeof fetch;
}

/** Signs through the server; its error answers are thrown as ImgplaneError with the same code. */
export async function requestSignedUrls(options: RequestSignedUrlsOptions): Promise<SignedUrl[]> {
  const response = await (options.fetch ?? fetch)(`${options.baseUrl.replace(/\/+$/, '')}/v1/sign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': options.apiKey },
    body: JSON.stringify({ paths: options.paths, ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }) }),
  });
  const body = (await response.json().catch(() => ({}))) as { urls?: SignedUrl[]; error?: ErrorCode; message?: string };
  if (!response.ok || !Array.isArray(body.urls)) {
    throw new ImgplaneError(body.error ?? 'internal', body.message ?? `POST /v1/sign answered ${response.status}`);
  }
  return body.urls;
}

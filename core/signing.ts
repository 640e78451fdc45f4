/**
 * Signed URLs for private delivery (`?exp=&kid=&sig=`). The signature is an unpadded base64url
 * HMAC-SHA256 over the canonical string v1, one field per line:
 *
 *   IMGPLANE-HMAC-SHA256-V1
 *   GET                      (HEAD verifies as GET: same bytes, no body)
 *   /v1/priv/...             (the path exactly as requested: percent-encoding as sent, no query)
 *   1767225600               (exp, unix seconds)
 *   <tenant id>              (the key's tenant scope; '' for an organisation-wide key)
 *   <host>                   ('' unless host binding is on; off by default so CDN host names work)
 *
 * deploy/edge/worker.js implements the same rules with Web Crypto; test/vectors/signing.json holds
 * the cases both must agree on. Pure: no I/O, no clock (callers pass `now`).
 */
import crypto from 'node:crypto';
import { ImgplaneError } from './errors.ts';

const SCHEME = 'IMGPLANE-HMAC-SHA256-V1';
const SIGNED_METHOD = 'GET';
/** HMAC-SHA256 output: 32 bytes, 43 base64url characters without padding. */
export const SIGNATURE_BYTES = 32;
/** Latest accepted `exp` (9999-12-31T23:59:59Z): anything later is garbage, not a deadline. */
export const MAX_EXP = 253_402_300_799;

export interface SignatureInput {
  secret: Buffer;
  path: string;
  exp: number;
  tenantScope: string;
  host?: string;
}

export interface SignatureParams {
  sig: Buffer;
  exp: number;
  kid: string;
}

export type SignatureVerdict = 'ok' | 'expired' | 'bad_signature';

function canonicalString({ path, exp, tenantScope, host }: Omit<SignatureInput, 'secret'>): string {
  return [SCHEME, SIGNED_METHOD, path, String(exp), tenantScope, host ?? ''].join('\n');
}

function hmac(input: SignatureInput): Buffer {
  return crypto.createHmac('sha256', input.secret).update(canonicalString(input)).digest();
}

/** Printable ASCII without space, '?' or '#': a request path as sent on the wire. */
const SIGNABLE_PATH = /^\/[\x21-\x22\x24-\x3e\x40-\x7e]*$/;

/**
 * Signs a path. Refuses (400) what no request could carry as its path: a query or fragment, a
 * missing leading '/', raw spaces or control characters (a newline would blur the canonical
 * string's fields) or non-ASCII (send it percent-encoded, as browsers do).
 */
export function signPath(input: SignatureInput): string {
  if (!SIGNABLE_PATH.test(input.path)) {
    throw new ImgplaneError('bad_request', 'path to sign must start with "/", be percent-encoded and have no query', {
      detail: { path: input.path.slice(0, 200) },
    });
  }
  return hmac(input).toString('base64url');
}

/** The URL to hand out: the signed path plus its signature parameters. */
export function signedUrl(path: string, params: { exp: number; kid: string; sig: string }): string {
  const query = new URLSearchParams({ exp: String(params.exp), kid: params.kid, sig: params.sig });
  return `${path}?${query.toString()}`;
}

const SIG_TEXT = /^[A-Za-z0-9_-]+$/;
const EXP_TEXT = /^[1-9][0-9]{0,11}$/;
/** Key ids are short opaque tokens (the API's kid format fits in this). */
const KID_TEXT = /^[A-Za-z0-9_-]{1,64}$/;

function malformed(reason: string): ImgplaneError {
  return new ImgplaneError('unauthorized', reason);
}

/** One named parameter's single value; missing or repeated is a 401 naming it. */
function singleValue(query: URLSearchParams | Record<string, unknown>, name: string): string {
  const values: unknown[] = query instanceof URLSearchParams
    ? query.getAll(name)
    : [Object.hasOwn(query, name) ? query[name] : []].flat();
  if (values.length === 0) throw malformed(`missing signature parameter "${name}"`);
  if (values.length > 1) throw malformed(`signature parameter "${name}" is given more than once`);
  const [value] = values;
  if (typeof value !== 'string') throw malformed(`signature parameter "${name}" must be text`);
  return value;
}

/**
 * Reads `sig`, `exp` and `kid` from a query (URLSearchParams, or Fastify's parsed query where a
 * repeated parameter is an array). Strict: base64url alphabet only, no padding, exactly 32 bytes,
 * and the canonical spelling (unused trailing bits zero), so one signature has one spelling and a
 * changed character never decodes to the same bytes. Throws ImgplaneError('unauthorized').
 */
export function parseSignatureParams(query: URLSearchParams | Record<string, unknown>): SignatureParams {
  const sigText = singleValue(query, 'sig');
  const expText = singleValue(query, 'exp');
  const kid = singleValue(query, 'kid');
  if (!SIG_TEXT.test(sigText)) throw malformed('sig must be unpadded base64url');
  const sig = Buffer.from(sigText, 'base64url');
  if (sig.length !== SIGNATURE_BYTES) throw malformed(`sig must decode to ${SIGNATURE_BYTES} bytes`);
  if (sig.toString('base64url') !== sigText) throw malformed('sig is not canonical base64url');
  if (!EXP_TEXT.test(expText) || Number(expText) > MAX_EXP) {
    throw malformed('exp must be a positive integer of unix seconds');
  }
  if (!KID_TEXT.test(kid)) throw malformed('kid must be 1 to 64 of A-Z, a-z, 0-9, _ and -');
  return { sig, exp: Number(expText), kid };
}

/**
 * Verifies a signature. Never throws, whatever the inputs. The comparison is constant time
 * (timingSafeEqual after a length check; the length of a signature is no secret). The signature
 * is checked before expiry, so `expired` is only ever said of a genuine URL: it tells a holder
 * their link lapsed, and tells a forger nothing. A URL is valid up to and including second `exp`.
 */
export function verifyPathSignature(input: SignatureInput & { sig: Buffer; now: number }): SignatureVerdict {
  const expected = hmac(input);
  if (input.sig.length !== expected.length || !crypto.timingSafeEqual(input.sig, expected)) return 'bad_signature';
  return input.now > input.exp ? 'expired' : 'ok';
}

export type SigningKeyStatus = 'active' | 'deprecated' | 'revoked';

/**
 * Whether a key's signatures still verify at `now`: active keys do, a rotated-out (deprecated)
 * key does until the end of its grace period (inclusive, unix seconds), revoked keys never do.
 */
export function isSigningKeyUsable(key: { status: SigningKeyStatus; graceUntil: number | null }, now: number): boolean {
  if (key.status === 'active') return true;
  return key.status === 'deprecated' && key.graceUntil !== null && now <= key.graceUntil;
}

/** A '.' or '..' segment, also percent-encoded: it could climb out of a prefix once resolved. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/**
 * Whether a signed path lies under the part of the URL space its key may sign, such as
 * `/v1/priv/acme/` for an organisation key or `/v1/priv/acme/website/` for a tenant key: a
 * genuine signature by another tenant's key is a 403, not a way in. The prefix must end in '/'
 * so `/v1/priv/acme/` never covers `/v1/priv/acme-evil/`, and dot segments are refused.
 */
export function isPathInScope(path: string, pathPrefix: string): boolean {
  return pathPrefix.endsWith('/') && path.startsWith(pathPrefix) && !DOT_SEGMENT.test(path);
}

/**
 * imgplane edge validator (Cloudflare Worker, plain ESM: deploys as is).
 *
 * Verifies signed `/v1/priv/` URLs at the edge with the same rules as core/signing.ts (canonical
 * string v1, HMAC-SHA256, strict parameters), answers 401/403 JSON without touching the origin,
 * and forwards genuine requests with a cache key that drops `sig`, `exp` and `kid`, so every
 * signed URL for one variant shares one cache entry. Everything else passes through untouched.
 * Keys come from the KV namespace bound as SIGNING_KEYS (format in README.md).
 * Tested against test/vectors/signing.json, the file core/signing.ts is tested against.
 */

const SCHEME = 'IMGPLANE-HMAC-SHA256-V1';
const PRIVATE_PREFIX = '/v1/priv/';
const SIGNATURE_PARAMS = ['sig', 'exp', 'kid'];
const MAX_EXP = 253402300799;
const SIG_TEXT = /^[A-Za-z0-9_-]+$/;
/** 32 bytes are 43 unpadded base64url characters; the last one carries 2 unused bits. */
const SIG_LENGTH = 43;
const CANONICAL_LAST_CHARACTERS = 'AEIMQUYcgkosw048';
const EXP_TEXT = /^[1-9][0-9]{0,11}$/;
const KID_TEXT = /^[A-Za-z0-9_-]{1,64}$/;
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;
const KEY_STATUSES = ['active', 'deprecated', 'revoked'];
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Imported CryptoKeys kept per secret; a handful of keys is normal, so the bound is generous. */
const MAX_CACHED_KEYS = 256;

/**
 * @param {{ fetch?: (request: Request, init?: RequestInit & { cf?: { cacheKey?: string } }) => Promise<Response>,
 *           now?: () => number }} [options] injected in tests; the defaults are the platform's.
 */
export function createWorker(options = {}) {
  const forward = options.fetch ?? ((request, init) => fetch(request, init));
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const importedKeys = new Map();

  async function hmacKey(secretBase64) {
    let key = importedKeys.get(secretBase64);
    if (key === undefined) {
      if (importedKeys.size >= MAX_CACHED_KEYS) importedKeys.clear();
      const raw = base64ToBytes(secretBase64);
      key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      importedKeys.set(secretBase64, key);
    }
    return key;
  }

  /** The same decision as core/signing.ts, in the same order. */
  async function verify(url, env) {
    const params = parseSignatureParams(url.searchParams);
    if (typeof params === 'string') return deny(401, 'malformed', params);
    const record = parseKeyRecord(await env.SIGNING_KEYS.get(params.kid));
    if (record === undefined) return deny(401, 'bad_signature', 'unknown signing key');
    const currentTime = now();
    if (!isKeyUsable(record, currentTime)) return deny(401, 'bad_signature', 'signing key is no longer valid');
    const host = env.SIGNING_HOST_BINDING === 'true' ? url.host : '';
    const canonical = [SCHEME, 'GET', url.pathname, String(params.exp), record.tenantScope, host].join('\n');
    const genuine = await crypto.subtle.verify(
      'HMAC',
      await hmacKey(record.secret),
      params.sig,
      new TextEncoder().encode(canonical),
    );
    if (!genuine) return deny(401, 'bad_signature', 'signature does not match');
    if (!isPathInScope(url.pathname, record.pathPrefix)) {
      return deny(403, 'forbidden', 'signing key may not sign this path');
    }
    if (currentTime > params.exp) return deny(401, 'expired', 'signed URL has expired');
    return undefined;
  }

  return {
    async fetch(request, env) {
      const url = new URL(request.url);
      const verifiable = request.method === 'GET' || request.method === 'HEAD';
      if (!verifiable || !url.pathname.startsWith(PRIVATE_PREFIX)) return forward(request);
      const denial = await verify(url, env);
      if (denial !== undefined) return denial;
      return forward(request, { cf: { cacheKey: cacheKeyFor(url, request.headers.get('accept')) } });
    },
  };
}

export default createWorker();

/** Returns the parsed parameters, or a string saying what is wrong with them. */
function parseSignatureParams(searchParams) {
  const values = {};
  for (const name of SIGNATURE_PARAMS) {
    const all = searchParams.getAll(name);
    if (all.length === 0) return `missing signature parameter "${name}"`;
    if (all.length > 1) return `signature parameter "${name}" is given more than once`;
    values[name] = all[0];
  }
  const { sig, exp, kid } = values;
  if (!SIG_TEXT.test(sig)) return 'sig must be unpadded base64url';
  if (sig.length !== SIG_LENGTH) return 'sig must decode to 32 bytes';
  if (!CANONICAL_LAST_CHARACTERS.includes(sig[SIG_LENGTH - 1])) return 'sig is not canonical base64url';
  if (!EXP_TEXT.test(exp) || Number(exp) > MAX_EXP) return 'exp must be a positive integer of unix seconds';
  if (!KID_TEXT.test(kid)) return 'kid must be 1 to 64 of A-Z, a-z, 0-9, _ and -';
  return { sig: base64ToBytes(sig.replaceAll('-', '+').replaceAll('_', '/')), exp: Number(exp), kid };
}

/** A KV record, or undefined when absent or not in the documented format (treated as unknown). */
function parseKeyRecord(text) {
  if (text === null) return undefined;
  let record;
  try {
    record = JSON.parse(text);
  } catch {
    return undefined;
  }
  const wellFormed = typeof record === 'object' && record !== null &&
    typeof record.secret === 'string' && BASE64_TEXT.test(record.secret) &&
    typeof record.tenantScope === 'string' &&
    KEY_STATUSES.includes(record.status) &&
    (record.graceUntil === null || Number.isInteger(record.graceUntil)) &&
    typeof record.pathPrefix === 'string';
  return wellFormed ? record : undefined;
}

function isKeyUsable(record, currentTime) {
  if (record.status === 'active') return true;
  return record.status === 'deprecated' && record.graceUntil !== null && currentTime <= record.graceUntil;
}

function isPathInScope(path, pathPrefix) {
  return pathPrefix.endsWith('/') && path.startsWith(pathPrefix) && !DOT_SEGMENT.test(path);
}

/** Standard base64 (padding optional) to bytes; callers have already checked the alphabet. */
function base64ToBytes(text) {
  const binary = atob(text.padEnd(Math.ceil(text.length / 4) * 4, '='));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/**
 * The URL without its signature parameters. A `fmt_auto` variant depends on Accept, and the edge
 * cache does not honour `Vary: Accept`, so the modern formats the client accepts join the key.
 */
function cacheKeyFor(url, accept) {
  const normalised = new URL(url);
  for (const name of SIGNATURE_PARAMS) normalised.searchParams.delete(name);
  const opsSegment = normalised.pathname.slice(normalised.pathname.lastIndexOf('/') + 1);
  if (!/(?:^|-)fmt_auto(?:[-.]|$)/.test(opsSegment)) return normalised.toString();
  const formats = ['avif', 'webp'].filter((format) => acceptsExplicitly(accept ?? '', `image/${format}`));
  return `${normalised.toString()}#accept=${formats.join(',') || 'basic'}`;
}

/** Explicitly listed with q > 0 and never refused: the rule core/negotiate.ts applies. */
function acceptsExplicitly(accept, type) {
  let listed = false;
  for (const entry of accept.split(',')) {
    const [range, ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (range !== type) continue;
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam === undefined ? '1' : qParam.slice(2);
    if (!/^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/.test(q)) continue;
    if (Number(q) === 0) return false;
    listed = true;
  }
  return listed;
}

function deny(status, reason, message) {
  return new Response(JSON.stringify({
    error: status === 403 ? 'forbidden' : 'unauthorized',
    message,
    detail: { reason },
  }), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

import crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ImgplaneError } from './errors.ts';
import {
  isPathInScope,
  isSigningKeyUsable,
  parseSignatureParams,
  signedUrl,
  signPath,
  verifyPathSignature,
} from './signing.ts';
import { loadSigningVectors, oneCharacterMutations, vectorQuery } from '../test/vectors/signing-vectors.ts';
import type { SigningKeyRecord, SigningOutcome, SigningVector } from '../test/vectors/signing-vectors.ts';

const vectors = loadSigningVectors();

/** The server's decision for one request, composed from core/signing.ts in the documented order. */
function decide(keys: ReadonlyMap<string, SigningKeyRecord>, path: string, query: string, host: string, now: number): SigningOutcome {
  let params;
  try {
    params = parseSignatureParams(new URLSearchParams(query));
  } catch (error) {
    expect(error).toBeInstanceOf(ImgplaneError);
    expect((error as ImgplaneError).status).toBe(401);
    return 'malformed';
  }
  const key = keys.get(params.kid);
  if (key === undefined || !isSigningKeyUsable(key, now)) return 'bad_signature';
  const secret = Buffer.from(key.secret, 'base64');
  const verdict = verifyPathSignature({ secret, path, exp: params.exp, tenantScope: key.tenantScope, host, sig: params.sig, now });
  if (verdict === 'bad_signature') return verdict;
  return isPathInScope(path, key.pathPrefix) ? verdict : 'forbidden';
}

const keysOf = (vector: SigningVector) => new Map(vector.key === null ? [] : [[vector.kid, vector.key]]);
const decideVector = (vector: SigningVector) => decide(keysOf(vector), vector.path, vectorQuery(vector), vector.host, vector.now);

const valid = vectors.find((vector) => vector.name === 'valid, organisation key') as SigningVector;

describe('signing vectors (shared with deploy/edge)', () => {
  it('cover every outcome', () => {
    expect(new Set(vectors.map((vector) => vector.expected))).toEqual(
      new Set(['ok', 'expired', 'bad_signature', 'malformed', 'forbidden']),
    );
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    expect(decideVector(vector)).toBe(vector.expected);
  });
});

describe('signPath', () => {
  it('is unpadded base64url HMAC-SHA256 over the documented canonical string', () => {
    const secret = Buffer.from('correct horse battery staple');
    const expected = crypto
      .createHmac('sha256', secret)
      .update('IMGPLANE-HMAC-SHA256-V1\nGET\n/v1/priv/a/b/c/img/x/v1/w_10.png\n1700000000\ntenant-1\nimg.example')
      .digest('base64url');
    expect(signPath({ secret, path: '/v1/priv/a/b/c/img/x/v1/w_10.png', exp: 1_700_000_000, tenantScope: 'tenant-1', host: 'img.example' }))
      .toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each(['v1/priv/no-leading-slash', '/with?query', '/with#fragment', '/with space', '/new\nline', '/caf\u00e9', ''])(
    'refuses to sign %j with 400',
    (path) => {
      expect(() => signPath({ secret: Buffer.alloc(32), path, exp: 1, tenantScope: '' })).toThrow(
        expect.objectContaining({ code: 'bad_request', status: 400 }),
      );
    },
  );
});

describe('signedUrl', () => {
  it('appends exp, kid and sig that parse back', () => {
    const url = signedUrl('/v1/priv/a/b', { exp: 1_700_000_000, kid: 'k_1', sig: valid.sig });
    expect(url).toBe(`/v1/priv/a/b?exp=1700000000&kid=k_1&sig=${valid.sig}`);
    const parsed = parseSignatureParams(new URLSearchParams(url.split('?')[1]));
    expect(parsed).toEqual({ exp: 1_700_000_000, kid: 'k_1', sig: Buffer.from(valid.sig, 'base64url') });
  });
});

describe('parseSignatureParams', () => {
  const good = { exp: String(valid.exp), kid: valid.kid, sig: valid.sig };

  it('reads Fastify-style parsed queries, where a repeated parameter is an array', () => {
    expect(parseSignatureParams({ ...good, w: 'other' }).kid).toBe(valid.kid);
    expect(parseSignatureParams({ ...good, kid: [valid.kid] }).kid).toBe(valid.kid);
  });

  it.each([
    ['repeated as an array', { ...good, sig: [valid.sig, valid.sig] }, 'more than once'],
    ['missing', { exp: good.exp, kid: good.kid }, 'missing signature parameter "sig"'],
    ['not text', { ...good, exp: 5 }, 'must be text'],
    ['null', { ...good, kid: null }, 'must be text'],
    ['an object', { ...good, sig: { toString: () => valid.sig } }, 'must be text'],
  ])('rejects a parameter %s with 401', (_name, query, message) => {
    expect(() => parseSignatureParams(query)).toThrow(expect.objectContaining({ code: 'unauthorized', message: expect.stringContaining(message) }));
  });

  it('ignores inherited properties of a plain query object', () => {
    const query = Object.create({ sig: valid.sig }) as Record<string, unknown>;
    Object.assign(query, { exp: good.exp, kid: good.kid });
    expect(() => parseSignatureParams(query)).toThrow(expect.objectContaining({ message: 'missing signature parameter "sig"' }));
  });
});

describe('verifyPathSignature', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const input = {
    secret: Buffer.from((valid.key as SigningKeyRecord).secret, 'base64'),
    path: valid.path,
    exp: valid.exp,
    tenantScope: '',
    now: valid.now,
  };
  const sig = Buffer.from(valid.sig, 'base64url');

  it('compares with crypto.timingSafeEqual', () => {
    const compare = vi.spyOn(crypto, 'timingSafeEqual');
    expect(verifyPathSignature({ ...input, sig })).toBe('ok');
    expect(compare).toHaveBeenCalledTimes(1);
  });

  it('reports a bad signature before expiry, so expiry reveals nothing about forgeries', () => {
    const forged = Buffer.from(sig);
    forged[0] = (forged[0] ?? 0) ^ 1;
    expect(verifyPathSignature({ ...input, sig: forged, now: input.exp + 1 })).toBe('bad_signature');
    expect(verifyPathSignature({ ...input, sig, now: input.exp + 1 })).toBe('expired');
  });

  it('rejects every single-bit change of the signature', () => {
    for (let bit = 0; bit < sig.length * 8; bit += 1) {
      const flipped = Buffer.from(sig);
      flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      expect(verifyPathSignature({ ...input, sig: flipped })).toBe('bad_signature');
    }
  });

  it.each([0, 1, 31, 33, 64, 100_000])('answers bad_signature without throwing for a %i-byte signature', (length) => {
    const compare = vi.spyOn(crypto, 'timingSafeEqual');
    expect(verifyPathSignature({ ...input, sig: Buffer.alloc(length, 7) })).toBe('bad_signature');
    expect(compare).not.toHaveBeenCalled();
  });

  it('never throws on odd inputs', () => {
    const odd = { secret: Buffer.alloc(0), path: '\u0000\uD800'.repeat(1000), exp: Number.NaN, tenantScope: '\n', host: '\n', now: Number.POSITIVE_INFINITY };
    expect(verifyPathSignature({ ...odd, sig })).toBe('bad_signature');
  });
});

describe('a valid signed URL with any one character changed', () => {
  it('is rejected by the server rules', () => {
    const url = `${valid.path}?${vectorQuery(valid)}`;
    const keys = keysOf(valid);
    let mutations = 0;
    for (const mutated of oneCharacterMutations(url)) {
      const split = mutated.indexOf('?');
      const [path, query] = split < 0 ? [mutated, ''] : [mutated.slice(0, split), mutated.slice(split + 1)];
      expect(decide(keys, path, query, '', valid.now), mutated).not.toBe('ok');
      mutations += 1;
    }
    expect(mutations).toBeGreaterThan(url.length * 7);
  });
});

describe('signing keys and scope', () => {
  it('lets active keys verify, deprecated ones until the end of grace, revoked ones never', () => {
    expect(isSigningKeyUsable({ status: 'active', graceUntil: null }, 100)).toBe(true);
    expect(isSigningKeyUsable({ status: 'deprecated', graceUntil: 100 }, 100)).toBe(true);
    expect(isSigningKeyUsable({ status: 'deprecated', graceUntil: 100 }, 101)).toBe(false);
    expect(isSigningKeyUsable({ status: 'deprecated', graceUntil: null }, 0)).toBe(false);
    expect(isSigningKeyUsable({ status: 'revoked', graceUntil: 1e12 }, 0)).toBe(false);
  });

  it.each([
    ['/v1/priv/acme/website/x.png', '/v1/priv/acme/', true],
    ['/v1/priv/acme/website/x.png', '/v1/priv/acme/website/', true],
    ['/v1/priv/acme/blog/x.png', '/v1/priv/acme/website/', false],
    ['/v1/priv/acme-evil/x.png', '/v1/priv/acme', false],
    ['/v1/priv/acme/website/../blog/x.png', '/v1/priv/acme/website/', false],
    ['/v1/priv/acme/website/%2E%2e/blog/x.png', '/v1/priv/acme/website/', false],
    ['/v1/priv/acme/website/./x.png', '/v1/priv/acme/website/', false],
    ['/v1/priv/acme/website/..x.png', '/v1/priv/acme/website/', true],
  ])('%s within %s: %s', (path, prefix, expected) => {
    expect(isPathInScope(path, prefix)).toBe(expected);
  });
});

/**
 * Writes test/vectors/signing.json. Deterministic (fixed secrets, fixed clock), so re-running it
 * reproduces the committed file. Run: npx tsx test/vectors/generate-signing-vectors.ts
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { signPath } from '../../core/signing.ts';
import { SIGNING_VECTORS_FILE } from './signing-vectors.ts';
import type { SigningKeyRecord, SigningVector } from './signing-vectors.ts';

const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const EXP = NOW + 3600;
const WEBSITE = '0194d3a0-0000-7000-8000-00000000a001';
const BLOG = '0194d3a0-0000-7000-8000-00000000b002';
const PATH = '/v1/priv/acme/website/main/img/01JBXYZ8K2M4N6P8Q0R2S4T6V8/v3/w_200-h_200-f_cover.webp';

const secretFor = (label: string): Buffer => createHash('sha256').update(`imgplane test key ${label}`).digest();

function key(label: string, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    secret: secretFor(label).toString('base64'),
    tenantScope: '',
    status: 'active',
    graceUntil: null,
    pathPrefix: '/v1/priv/acme/',
    ...overrides,
  };
}

const ORG_KEY = key('acme-org');
const WEBSITE_KEY = key('acme-website', { tenantScope: WEBSITE, pathPrefix: '/v1/priv/acme/website/' });
const BLOG_KEY = key('acme-blog', { tenantScope: BLOG, pathPrefix: '/v1/priv/acme/blog/' });

/** What the signer signed, when a vector presents something else. */
interface Signed {
  signer?: SigningKeyRecord;
  path?: string;
  exp?: number;
  host?: string;
}

type Case = Partial<Omit<SigningVector, 'sig'>> & Pick<SigningVector, 'name' | 'expected'> & { signed?: Signed };

function vector({ signed = {}, name, ...presented }: Case): SigningVector {
  const request: SigningVector = {
    name,
    key: ORG_KEY,
    path: PATH,
    exp: EXP,
    kid: 'k_acme_1',
    sig: '',
    host: '',
    now: NOW,
    ...presented,
  };
  const signer = signed.signer ?? request.key ?? ORG_KEY;
  const sig = signPath({
    secret: Buffer.from(signer.secret, 'base64'),
    path: signed.path ?? request.path,
    exp: signed.exp ?? request.exp,
    tenantScope: signer.tenantScope,
    host: signed.host ?? request.host,
  });
  return { ...request, sig };
}

const VALID_SIG = vector({ name: 'valid', expected: 'ok' }).sig;
const malformed = (name: string, query: string): SigningVector => ({ ...vector({ name, expected: 'malformed' }), query });

const vectors: SigningVector[] = [
  vector({ name: 'valid, organisation key', expected: 'ok' }),
  vector({ name: 'valid, tenant key', key: WEBSITE_KEY, kid: 'k_website_1', expected: 'ok' }),
  vector({ name: 'valid at the second of expiry', now: EXP, expected: 'ok' }),
  vector({ name: 'expired one second after exp', now: EXP + 1, expected: 'expired' }),
  vector({ name: 'tampered path: asset id', path: PATH.replace('01JBXYZ8', '01JBXYZ9'), signed: { path: PATH }, expected: 'bad_signature' }),
  vector({ name: 'tampered ops: width raised', path: PATH.replace('w_200', 'w_2000'), signed: { path: PATH }, expected: 'bad_signature' }),
  vector({ name: 'tampered version', path: PATH.replace('/v3/', '/v2/'), signed: { path: PATH }, expected: 'bad_signature' }),
  vector({ name: 'tampered exp: extended', exp: EXP + 86_400, signed: { exp: EXP }, expected: 'bad_signature' }),
  vector({ name: 'percent-encoding is significant', path: `${PATH.slice(0, -5)}%41.webp`, signed: { path: `${PATH.slice(0, -5)}A.webp` }, expected: 'bad_signature' }),
  vector({ name: 'wrong key: signed with another secret', signed: { signer: key('somebody-else') }, expected: 'bad_signature' }),
  vector({ name: 'unknown kid', key: null, kid: 'k_nobody', signed: { signer: ORG_KEY }, expected: 'bad_signature' }),
  vector({ name: 'rotated key within grace', key: { ...ORG_KEY, status: 'deprecated', graceUntil: NOW + 60 }, expected: 'ok' }),
  vector({ name: 'rotated key at the last second of grace', key: { ...ORG_KEY, status: 'deprecated', graceUntil: NOW }, expected: 'ok' }),
  vector({ name: 'rotated key after grace', key: { ...ORG_KEY, status: 'deprecated', graceUntil: NOW - 1 }, expected: 'bad_signature' }),
  vector({ name: 'revoked key', key: { ...ORG_KEY, status: 'revoked' }, expected: 'bad_signature' }),
  vector({ name: 'cross-tenant: blog key signs a website path', key: BLOG_KEY, kid: 'k_blog_1', expected: 'forbidden' }),
  vector({ name: 'cross-organisation: acme key signs a globex path', path: PATH.replace('/acme/', '/globex/'), expected: 'forbidden' }),
  vector({ name: 'prefix is matched by whole segment', path: PATH.replace('/acme/', '/acme-evil/'), key: { ...ORG_KEY, pathPrefix: '/v1/priv/acme/' }, expected: 'forbidden' }),
  vector({ name: 'cross-tenant: tenant scope is bound into the signature', key: WEBSITE_KEY, kid: 'k_website_1', signed: { signer: { ...WEBSITE_KEY, tenantScope: BLOG } }, expected: 'bad_signature' }),
  vector({ name: 'host binding: same host', host: 'img.acme.example', expected: 'ok' }),
  vector({ name: 'host binding: other host', host: 'img.evil.example', signed: { host: 'img.acme.example' }, expected: 'bad_signature' }),
  malformed('missing sig', `exp=${EXP}&kid=k_acme_1`),
  malformed('missing exp', `kid=k_acme_1&sig=${VALID_SIG}`),
  malformed('missing kid', `exp=${EXP}&sig=${VALID_SIG}`),
  malformed('repeated sig', `exp=${EXP}&kid=k_acme_1&sig=${VALID_SIG}&sig=${VALID_SIG}`),
  malformed('repeated exp', `exp=${EXP}&exp=${EXP}&kid=k_acme_1&sig=${VALID_SIG}`),
  malformed('padded sig', `exp=${EXP}&kid=k_acme_1&sig=${VALID_SIG}=`),
  malformed('standard base64 alphabet', `exp=${EXP}&kid=k_acme_1&sig=${VALID_SIG.replace(/.{2}$/, '+/')}`),
  malformed('sig one character short', `exp=${EXP}&kid=k_acme_1&sig=${VALID_SIG.slice(0, -1)}`),
  malformed('sig of 33 bytes', `exp=${EXP}&kid=k_acme_1&sig=${VALID_SIG}AA`),
  malformed('empty sig', `exp=${EXP}&kid=k_acme_1&sig=`),
  malformed('non-canonical trailing bits', `exp=${EXP}&kid=k_acme_1&sig=${VALID_SIG.slice(0, -1)}${VALID_SIG.endsWith('B') ? 'C' : 'B'}`),
  malformed('exp with decimals', `exp=${EXP}.5&kid=k_acme_1&sig=${VALID_SIG}`),
  malformed('exp zero', `exp=0&kid=k_acme_1&sig=${VALID_SIG}`),
  malformed('exp negative', `exp=-${EXP}&kid=k_acme_1&sig=${VALID_SIG}`),
  malformed('exp with a leading zero', `exp=0${EXP}&kid=k_acme_1&sig=${VALID_SIG}`),
  malformed('exp absurdly far', `exp=999999999999999999999&kid=k_acme_1&sig=${VALID_SIG}`),
  malformed('kid with a space', `exp=${EXP}&kid=k%20acme&sig=${VALID_SIG}`),
  malformed('empty kid', `exp=${EXP}&kid=&sig=${VALID_SIG}`),
];

writeFileSync(SIGNING_VECTORS_FILE, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${vectors.length} signing vectors`);

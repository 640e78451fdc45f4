/**
 * HTTP-level fuzz of the image route: over 10,000 random and mutated op strings (every op, client
 * hint headers included), extensions, whole paths and signature query strings go through the real
 * server (fastify's inject, no sockets). Each answer must be the status the URL grammar itself
 * gives that case: `expectedStatus` applies the path rules to the path as sent and asks the ops
 * grammar (parseOps, then planVariant with the space's real policy, presets and source), so a
 * route that reads a path differently from the grammar (the decimal-in-path bug) fails here, and
 * so does any valid URL that does not render. The space's size limit is tiny so valid URLs stay
 * cheap transforms of a tiny source, and repeats are memory hits.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImgplaneError } from '../../core/errors.ts';
import { parseOps, planVariant } from '../../core/ops/index.ts';
import type { AssetVersion, SpaceContext } from '../../platform/delivery/catalog.ts';
import { ANONYMOUS } from '../../platform/request-context.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { flatPicture, imagePath, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

const SEED = 20_251_127;
/** Generous: most requests fail fast at parse, but the valid ones render on a shared, busy CI box. */
const FUZZ_TIMEOUT_MS = 120_000;

let server: TestApp;
let org: TestOrganization;
let picture: Omit<ImageAddress, 'baseUrl'>;
/** What the route reads from the database for the picture's URLs: the grammar's inputs. */
let space: SpaceContext;
let source: AssetVersion;
const statuses = new Map<number, number>();

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'fuzz');
  const tenant = org.tenants[0];
  const scope = { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId };
  await setPolicy(server.platform, scope, 'max_width', 48);
  await setPolicy(server.platform, scope, 'max_height', 48);
  // Thousands of distinct renders within a minute: the organisation's rates at their ceilings,
  // so that every valid case answers 200 rather than 429.
  for (const [key, value] of [['rate_anonymous_per_minute', 6_000], ['rate_organization_per_minute', 120_000]] as const) {
    await setPolicy(server.platform, { organizationId: org.id }, key, value);
  }
  const asset = await uploadAsset(server.baseUrl, tenant, await flatPicture(32, 24, '#80408020', 'png'));
  picture = { org, tenant, asset };
  space = await server.platform.catalog.space(org.slug, tenant.slug, tenant.spaceSlug);
  source = await server.platform.catalog.assetVersion(ANONYMOUS, asset.id, asset.version);
});
afterAll(async () => {
  console.log('[fuzz] statuses:', Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
  await server?.close();
});

/**
 * Percent-encodes everything but unreserved characters and the `,` and `:` of `rect_`/`ar_` (both
 * valid in a path as they are), so any generated text is a valid request target.
 */
function asPathSegment(text: string): string {
  // Through UTF-8 bytes, so even a lone surrogate (from cutting a pair in two) encodes, as U+FFFD.
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => (UNRESERVED.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}
const UNRESERVED = /^[A-Za-z0-9_.\-~,:]$/;

type Hints = Partial<Record<'sec-ch-dpr' | 'sec-ch-width' | 'save-data', string>>;

interface FuzzCase {
  /** Request target as generated: path (percent-encoded) and optional query. */
  target: string;
  method?: 'GET' | 'HEAD';
  accept?: string;
  hints?: Hints;
}

/** Sends one case and checks its status against the grammar's; counts statuses in `seen` too. */
async function expectGrammarStatus(fuzzCase: FuzzCase, seen: Map<number, number>): Promise<void> {
  const { target, method = 'GET', accept, hints = {} } = fuzzCase;
  const response = await server.app.inject({ method, url: target, headers: { ...hints, ...(accept === undefined ? {} : { accept }) } });
  for (const tally of [statuses, seen]) tally.set(response.statusCode, (tally.get(response.statusCode) ?? 0) + 1);
  expect(response.statusCode, `${method} ${target} ${response.body.slice(0, 200)}`).toBe(expectedStatus(fuzzCase));
}

// The path rules, written out here rather than imported, so the route's own reading is checked.
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERSION = /^v([1-9][0-9]{0,8})$/;
/** `{ops}.{ext}`: the extension follows the last dot and starts with a letter (ops may hold decimals). */
const FILE = /^(.+)\.([a-z][a-z0-9]{0,4})$/;
const MAX_PATH_LENGTH = 1024;

/**
 * The status the image route must give a case, in the route's order: the path's shape (400, or
 * 404 outside /v1/pub|priv/), the ops grammar (400), a signature (401: the fuzz never has a valid
 * one), the lookups (404 for anything but the picture), then the plan against the space (400);
 * what passes all of them renders (200).
 */
function expectedStatus({ target, accept, hints = {} }: FuzzCase): number {
  // As a client sends it: URL normalisation resolves dot segments (inject does the same).
  const pathname = new URL(target, 'http://fuzz.invalid').pathname;
  if (!/^\/v1\/(pub|priv)\//.test(pathname)) return 404;
  const [, , access, orgSlug, tenantSlug, spaceSlug, img, assetId = '', version = '', file = '', ...rest] = pathname.split('/');
  const fileMatch = FILE.exec(file);
  const versionMatch = VERSION.exec(version);
  const shapeOk =
    pathname.length <= MAX_PATH_LENGTH &&
    rest.length === 0 &&
    [orgSlug, tenantSlug, spaceSlug].every((slug) => SLUG.test(slug ?? '')) &&
    img === 'img' &&
    UUID.test(assetId) &&
    versionMatch !== null &&
    fileMatch !== null;
  if (!shapeOk) return 400;
  const ops = fileMatch![1]!;
  const extension = fileMatch![2]!;
  const parsed = grammarOutcome(() => parseOps(ops));
  if (typeof parsed === 'number') return parsed;
  if (access === 'priv') return 401;
  const { tenant } = picture;
  const isPicture =
    orgSlug === picture.org.slug &&
    tenantSlug === tenant.slug &&
    spaceSlug === tenant.spaceSlug &&
    assetId.toLowerCase() === picture.asset.id &&
    Number(versionMatch![1]) === picture.asset.version;
  if (!isPicture) return 404;
  const plan = grammarOutcome(() =>
    planVariant({
      parsed,
      presets: space.presets,
      extension,
      accept,
      policy: space.policy,
      source,
      hints: { dpr: hints['sec-ch-dpr'], width: hints['sec-ch-width'], saveData: hints['save-data'] },
    }),
  );
  return typeof plan === 'number' ? plan : 200;
}

/** The grammar's result, or the status of the ImgplaneError it throws (anything else is a bug). */
function grammarOutcome<T>(step: () => T): T | number {
  try {
    return step();
  } catch (error) {
    if (isImgplaneError(error)) return error.status;
    throw error;
  }
}

const KEYS = [
  'w', 'h', 'dpr', 'f', 'g', 'b', 'q', 'fmt', 'r', 'blur', 'sharpen', 'preset',
  'rect', 'fp', 'ar', 'trim', 'ext', 'bri', 'con', 'sat', 'hue', 'gam', 'tint',
];
const VALUES = [
  '1', '16', '48', '49', '0', '-1', '1.5', '4.01', 'auto', 'cover', 'pad', 'centre', 'entropy', 'fff', '00000080', 'jpg', 'gif', 'thumb', '90', '45', '',
  // rect_ inside and outside the 32x24 picture, fractions, fp_, ar_, ext_:
  '0,0,16,12', '20,10,12,14', '30,0,8,8', '0.25,0.25,0.5,0.5', '0.5,0.5', '0.9,1.0,0.2,0.2', '16:9', '1:1', '0:1', '1,2,3,4', '0,0,0,0', '180', '2.5',
];
const tokenArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)).map(([key, value]) => `${key}_${value}`) },
  { weight: 2, arbitrary: fc.constantFrom('bw', 'flip', 'flop', 'up', 'original', 'trim', 'norm', 'prog', 'lossless', 'png8', 'ch') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
/** Client hint headers, read by URLs with `ch`. */
const hintsArb = fc.record(
  {
    'sec-ch-dpr': fc.constantFrom('1', '2', '2.625', '0', 'x'),
    'sec-ch-width': fc.constantFrom('16', '40', '99999', '-1', ''),
    'save-data': fc.constantFrom('on', 'off'),
  },
  { requiredKeys: [] },
);
const opsArb = fc.array(tokenArb, { minLength: 1, maxLength: 5 }).map((tokens) => tokens.join('-'));
const extensionArb = fc.constantFrom('jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'JPG', 'bmp', 'tiff', 'x', 'jpegxl');
const acceptArb = fc.option(fc.constantFrom('*/*', 'image/avif,image/webp', 'image/webp;q=0', 'image/*;q=abc', ''), { nil: undefined });
const methodArb = fc.constantFrom<'GET' | 'HEAD'>('GET', 'GET', 'GET', 'HEAD');

/** Random edits: insert, delete or replace one character of `text`, up to three times. */
const editsArb = fc.array(
  fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), character: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }),
  { minLength: 1, maxLength: 3 },
);
function applyEdits(text: string, edits: { at: number; kind: string; character: string }[]): string {
  return edits.reduce((current, { at, kind, character }) => {
    const index = current.length === 0 ? 0 : at % current.length;
    const keepFrom = kind === 'insert' ? index : index + 1;
    return current.slice(0, index) + (kind === 'delete' ? '' : character) + current.slice(keepFrom);
  }, text);
}

/** Each property checks that it reached the answers its cases are meant to reach. */
function expectReached(seen: Map<number, number>, wanted: readonly number[]): void {
  for (const status of wanted) expect(seen.get(status) ?? 0, `no case answered ${status}: ${JSON.stringify(Object.fromEntries(seen))}`).toBeGreaterThan(0);
}

describe('image route fuzz', () => {
  it('answers random op strings and extensions with the grammar\'s status', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(opsArb, extensionArb, methodArb, acceptArb, hintsArb, async (ops, extension, method, accept, hints) =>
        expectGrammarStatus({ target: imagePath(picture, `${asPathSegment(ops)}.${extension}`), method, accept, hints }, seen),
      ),
      { seed: SEED, numRuns: 6_000 },
    );
    expectReached(seen, [200, 400]);
  }, FUZZ_TIMEOUT_MS);

  it('answers mutated op strings with the grammar\'s status', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(opsArb, editsArb, extensionArb, async (ops, edits, extension) =>
        expectGrammarStatus({ target: imagePath(picture, asPathSegment(applyEdits(`${ops}.${extension}`, edits))) }, seen),
      ),
      { seed: SEED + 1, numRuns: 3_000 },
    );
    // Edits rarely leave a valid URL behind; the cases above are the ones meant to render.
    expectReached(seen, [400]);
  }, FUZZ_TIMEOUT_MS);

  it('answers mutated whole paths and signature query strings with the grammar\'s status', async () => {
    const seen = new Map<number, number>();
    const queryArb = fc.option(
      fc.record({ exp: fc.oneof(fc.nat().map(String), fc.string()), kid: fc.string(), sig: fc.string({ maxLength: 80 }) }),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('pub', 'priv'), opsArb, editsArb, queryArb, async (access, ops, edits, query) => {
        const mutated = applyEdits(imagePath({ ...picture, access }, `${ops}.jpg`), edits);
        const target = mutated.split('/').map(asPathSegment).join('/');
        const search = query === undefined ? '' : `?${new URLSearchParams(query).toString()}`;
        await expectGrammarStatus({ target: `/${target.replace(/^\/+/, '')}${search}` }, seen);
      }),
      { seed: SEED + 2, numRuns: 2_000 },
    );
    expectReached(seen, [400, 401, 404]);
  }, FUZZ_TIMEOUT_MS);
});

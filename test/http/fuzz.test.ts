/**
 * HTTP-level fuzz of the image route: over 10,000 random and mutated op strings, extensions,
 * whole paths and signature query strings go through the real server (fastify's inject, no
 * sockets) and none may answer 5xx. The space's size limit is tiny so valid URLs stay cheap
 * transforms of a tiny source, and repeats are memory hits.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { flatPicture, imagePath, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

const SEED = 20_251_127;
/** Generous: most requests fail fast at parse, but the valid ones render on a shared, busy CI box. */
const FUZZ_TIMEOUT_MS = 120_000;

let server: TestApp;
let org: TestOrganization;
let picture: Omit<ImageAddress, 'baseUrl'>;
const statuses = new Map<number, number>();

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'fuzz');
  const tenant = org.tenants[0];
  const scope = { organizationId: org.id, tenantId: tenant.id, spaceId: tenant.spaceId };
  await setPolicy(server.platform, scope, 'max_width', 48);
  await setPolicy(server.platform, scope, 'max_height', 48);
  const asset = await uploadAsset(server.baseUrl, tenant, await flatPicture(32, 24, '#80408020', 'png'));
  picture = { org, tenant, asset };
});
afterAll(async () => {
  console.log('[fuzz] statuses:', Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
  await server?.close();
});

/** Percent-encodes everything but unreserved characters, so any generated text is a valid request target. */
function asPathSegment(text: string): string {
  // Through UTF-8 bytes, so even a lone surrogate (from cutting a pair in two) encodes, as U+FFFD.
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => (UNRESERVED.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}
const UNRESERVED = /^[A-Za-z0-9_.\-~]$/;

async function statusOf(url: string, method: 'GET' | 'HEAD' = 'GET', accept?: string): Promise<number> {
  const response = await server.app.inject({ method, url, headers: accept === undefined ? {} : { accept } });
  statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
  return response.statusCode;
}

const KEYS = ['w', 'h', 'dpr', 'f', 'g', 'b', 'q', 'fmt', 'r', 'blur', 'sharpen', 'preset'];
const VALUES = ['1', '16', '48', '49', '0', '-1', '1.5', '4.01', 'auto', 'cover', 'pad', 'centre', 'entropy', 'fff', '00000080', 'jpg', 'gif', 'thumb', '90', '45', ''];
const tokenArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)).map(([key, value]) => `${key}_${value}`) },
  { weight: 2, arbitrary: fc.constantFrom('bw', 'flip', 'flop', 'up', 'original') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
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

const noServerError = (status: number) => status < 500;

describe('image route fuzz', () => {
  it('answers random op strings and extensions without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(opsArb, extensionArb, methodArb, acceptArb, async (ops, extension, method, accept) =>
        noServerError(await statusOf(imagePath(picture, `${asPathSegment(ops)}.${extension}`), method, accept)),
      ),
      { seed: SEED, numRuns: 6_000 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('answers mutated op strings without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(opsArb, editsArb, extensionArb, async (ops, edits, extension) =>
        noServerError(await statusOf(imagePath(picture, asPathSegment(applyEdits(`${ops}.${extension}`, edits))))),
      ),
      { seed: SEED + 1, numRuns: 3_000 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('answers mutated whole paths and signature query strings without a 5xx', async () => {
    const queryArb = fc.option(
      fc.record({ exp: fc.oneof(fc.nat().map(String), fc.string()), kid: fc.string(), sig: fc.string({ maxLength: 80 }) }),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('pub', 'priv'), opsArb, editsArb, queryArb, async (access, ops, edits, query) => {
        const mutated = applyEdits(imagePath({ ...picture, access }, `${ops}.jpg`), edits);
        const target = mutated.split('/').map(asPathSegment).join('/');
        const search = query === undefined ? '' : `?${new URLSearchParams(query).toString()}`;
        return noServerError(await statusOf(`/${target.replace(/^\/+/, '')}${search}`));
      }),
      { seed: SEED + 2, numRuns: 2_000 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('exercised every kind of answer (the fuzz reached delivery, not only the parser)', () => {
    const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThanOrEqual(11_000);
    for (const status of [200, 400, 401, 404]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  });
});

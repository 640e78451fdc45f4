/**
 * What only the local adapter can get wrong: temp files and half-written objects on disk.
 * (Everything shared with the other adapters is in contract.test.ts.)
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageIntegrityError } from './integrity.ts';
import { createLocalStore } from './local.ts';
import { StorageConfigError, type ObjectStore } from './types.ts';

let dir: string;
let store: ObjectStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgplane-local-'));
  store = createLocalStore({ kind: 'local', dir });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('a write that fails midway', () => {
  const previous = Buffer.from('the previous, complete object');

  it.each([
    ['over an existing object', true],
    ['of a new key', false],
  ])('never exposes the partial body and leaves no temp file (%s)', async (_label, hadPrevious) => {
    const key = 'originals/org-1/asset.jpg';
    if (hadPrevious) await store.put(key, previous, { contentType: 'image/jpeg' });
    const seenMidway: Array<Buffer | null> = [];
    async function* dyingUpload() {
      yield Buffer.alloc(256 * 1024, 1);
      yield Buffer.alloc(256 * 1024, 2);
      // Half the body is on disk by now; readers must still see the old object (or none).
      seenMidway.push((await store.exists(key)) ? await store.getBuffer(key) : null);
      throw new Error('client went away');
    }

    await expect(
      store.put(key, Readable.from(dyingUpload(), { objectMode: false }), { contentType: 'image/jpeg' }),
    ).rejects.toThrow('client went away');

    const expected = hadPrevious ? previous : null;
    expect(seenMidway).toEqual([expected]);
    expect((await store.exists(key)) ? await store.getBuffer(key) : null).toEqual(expected);
    expect((await allFiles(dir)).filter((path) => path.endsWith('.partial'))).toEqual([]);
    expect(await store.head(key)).toEqual(hadPrevious ? expect.objectContaining({ contentType: 'image/jpeg' }) : null);
  });

  it('leaves no temp file when the body fails its sha256 check', async () => {
    const body = Buffer.alloc(100_000, 7);
    const wrongSha = createHash('sha256').update('other').digest('hex');
    await expect(
      store.put('a/b.png', Readable.from([body], { objectMode: false }), {
        contentType: 'image/png',
        sha256: wrongSha,
      }),
    ).rejects.toBeInstanceOf(StorageIntegrityError);
    expect(await allFiles(dir)).toEqual([]);
  });
});

it('stores the bytes as a plain file under objects/ and the content type in meta/', async () => {
  await store.put('org/asset.webp', Buffer.from('webp bytes'), { contentType: 'image/webp' });
  expect((await allFiles(dir)).map((path) => path.slice(dir.length)).sort()).toEqual([
    '/meta/org/asset.webp.json',
    '/objects/org/asset.webp',
  ]);
});

it('fails its start-up check with StorageConfigError when the directory cannot be created', async () => {
  const blocker = join(dir, 'a-file');
  await writeFile(blocker, 'not a directory');
  const broken = createLocalStore({ kind: 'local', dir: join(blocker, 'storage') });
  await expect(broken.check()).rejects.toThrow(StorageConfigError);
  await expect(broken.check()).rejects.toThrow(/storage directory .*a-file\/storage is not writable/);
});

it('leaves no probe object behind after a successful start-up check', async () => {
  await store.check();
  expect(await allFiles(dir)).toEqual([]);
});

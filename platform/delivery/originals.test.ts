import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../core/storage/index.ts';
import { StorageNotFoundError, type ObjectStore } from '../../core/storage/types.ts';
import { OriginalSource } from './originals.ts';

let dir: string;
/** The local adapter as a remote store looks (no `localFile`), counting what reaches it. */
let storage: ObjectStore;
let local: ObjectStore;
let reads = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgplane-originals-'));
  const real = createObjectStore({ kind: 'local', dir });
  local = real;
  // Counts what reaches storage; everything else is the real local adapter, less `localFile`.
  storage = {
    ...real,
    provider: real.provider,
    put: (...args) => real.put(...args),
    getBuffer: (key) => ((reads += 1), real.getBuffer(key)),
    getStream: (key) => ((reads += 1), real.getStream(key)),
    close: () => real.close(),
  };
});
afterAll(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

describe('OriginalSource on a remote store', () => {
  it('reads a small original from storage once, then from memory, as bytes', async () => {
    const bytes = randomBytes(10_000);
    await storage.put('originals/small', bytes, { contentType: 'image/jpeg' });
    const source = new OriginalSource(storage, { maxBytes: 1_000_000 });
    reads = 0;
    for (let i = 0; i < 3; i += 1) {
      const input = await source.use('originals/small', bytes.length, async (original) => original);
      expect(Buffer.isBuffer(input) && input.equals(bytes)).toBe(true);
    }
    expect(reads).toBe(1);
  });

  it('streams an original over the per-entry cap to a temporary file every time, never into memory', async () => {
    const bytes = randomBytes(200_000);
    await storage.put('originals/large', bytes, { contentType: 'image/jpeg' });
    const source = new OriginalSource(storage, { maxBytes: 1_000_000, maxEntryBytes: 100_000 });
    reads = 0;
    for (let i = 0; i < 2; i += 1) {
      const input = await source.use('originals/large', bytes.length, async (original) => original);
      expect(typeof input).toBe('string');
    }
    expect(reads).toBe(2);
  });

  it('with a zero budget always streams', async () => {
    const bytes = randomBytes(1_000);
    await storage.put('originals/tiny', bytes, { contentType: 'image/jpeg' });
    const source = new OriginalSource(storage, { maxBytes: 0 });
    expect(typeof (await source.use('originals/tiny', bytes.length, async (original) => original))).toBe('string');
  });
});

describe('OriginalSource on local storage', () => {
  it('hands the transform the stored file itself: no bytes read, none cached', async () => {
    const bytes = randomBytes(10_000);
    await local.put('originals/on-disk', bytes, { contentType: 'image/jpeg' });
    const source = new OriginalSource(local, { maxBytes: 1_000_000 });
    const input = await source.use('originals/on-disk', bytes.length, async (original) => original);
    expect(typeof input).toBe('string');
    expect((await readFile(input as string)).equals(bytes)).toBe(true);
    expect(source.stats()).toEqual({ entries: 0, bytes: 0 });
  });

  it('says not found for a missing original, before the transform runs', async () => {
    const source = new OriginalSource(local, { maxBytes: 1_000_000 });
    let ran = false;
    await expect(source.use('originals/never-stored', 10, async () => (ran = true))).rejects.toBeInstanceOf(StorageNotFoundError);
    expect(ran).toBe(false);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../core/storage/index.ts';
import { StorageNotFoundError, type ObjectStore } from '../../core/storage/types.ts';
import { withOriginalFile } from './original-file.ts';

let dir: string;
/** This file's own temp folder: other test files render concurrently into the shared default. */
let tempDir: string;
let storage: ObjectStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgplane-original-file-'));
  tempDir = path.join(dir, 'temp');
  storage = createObjectStore({ kind: 'local', dir: path.join(dir, 'store') });
});
afterAll(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});


describe('withOriginalFile', () => {
  it('gives the work a file with the stored bytes and removes it afterwards', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    await storage.put('originals/a', bytes, { contentType: 'image/jpeg' });
    let seenPath = '';
    const length = await withOriginalFile(
      storage,
      'originals/a',
      async (filePath) => {
        seenPath = filePath;
        expect((await readFile(filePath)).equals(bytes)).toBe(true);
        return bytes.length;
      },
      tempDir,
    );
    expect(length).toBe(bytes.length);
    expect(path.dirname(seenPath)).toBe(tempDir);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('removes the file when the work fails, and passes the failure on', async () => {
    await storage.put('originals/b', Buffer.from('bytes'), { contentType: 'image/png' });
    let sawFile = false;
    await expect(
      withOriginalFile(
        storage,
        'originals/b',
        async (filePath) => {
          sawFile = (await readFile(filePath)).toString() === 'bytes';
          throw new Error('transform failed');
        },
        tempDir,
      ),
    ).rejects.toThrow('transform failed');
    expect(sawFile).toBe(true);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('fails with the typed not-found error for a missing original and leaves nothing behind', async () => {
    await expect(withOriginalFile(storage, 'originals/missing', async () => 1, tempDir)).rejects.toBeInstanceOf(
      StorageNotFoundError,
    );
    expect(await readdir(tempDir)).toEqual([]);
  });
});

/**
 * The write half of a store's start-up check: stores and deletes a small probe object, so a
 * read-only mount or a key without write permission stops the server at start-up instead of
 * failing the first upload.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from './types.ts';

export const WRITE_PROBE_PREFIX = '.imgplane-write-check/';

export async function probeWrite(store: ObjectStore): Promise<void> {
  const key = `${WRITE_PROBE_PREFIX}${randomUUID()}`;
  await store.put(key, Buffer.from('imgplane write check'), { contentType: 'text/plain' });
  await store.delete(key);
}

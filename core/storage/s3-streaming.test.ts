/**
 * Large originals stream end to end: a 50 MB upload of known size goes out while it is still
 * being produced (never gathered in memory first), and comes back as a stream.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { s3ConfigFor, startS3Server, type S3TestServer } from '../../test/support/s3-server.ts';
import { createObjectStore } from './index.ts';
import type { ObjectStore } from './types.ts';

const TOTAL_BYTES = 50 * 1024 * 1024;
const PIECE_BYTES = 256 * 1024;

let server: S3TestServer;
let store: ObjectStore;

beforeAll(async () => {
  server = await startS3Server();
  store = createObjectStore(s3ConfigFor(server));
});

afterAll(async () => {
  await store.close();
  await server.close();
});

it('sends a 50 MB stream while it is produced and reads it back intact as a stream', async () => {
  const key = `streaming/${Date.now()}-50mb.bin`;
  const sent = createHash('sha256');
  let receivedWhenLastPieceWasProduced: number | undefined;
  async function* produce() {
    for (let offset = 0; offset < TOTAL_BYTES; offset += PIECE_BYTES) {
      if (offset + PIECE_BYTES >= TOTAL_BYTES) receivedWhenLastPieceWasProduced = server.receivedBytes(key) ?? 0;
      // A fresh buffer per piece: a client that gathered the body would have to keep them all.
      const piece = Buffer.alloc(PIECE_BYTES, offset / PIECE_BYTES);
      sent.update(piece);
      yield piece;
    }
  }

  await store.put(key, Readable.from(produce(), { objectMode: false }), {
    contentType: 'application/octet-stream',
    size: TOTAL_BYTES,
  });

  // Only socket and stream buffers (a few MB) may lie between producer and server.
  if (server.receivedBytes(key) !== undefined) {
    expect(receivedWhenLastPieceWasProduced).toBeGreaterThan(TOTAL_BYTES / 2);
  }
  expect((await store.head(key))?.size).toBe(TOTAL_BYTES);
  const received = createHash('sha256');
  for await (const piece of await store.getStream(key)) received.update(piece as Buffer);
  expect(received.digest('hex')).toBe(sent.digest('hex'));
});

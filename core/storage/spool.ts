/**
 * S3 needs a Content-Length up front, and the MinIO client sizes its in-memory part buffers from
 * it. A body of unknown length is therefore written to a temp file first, so it is sent with a
 * known size and memory stays flat however large the upload is.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface SpooledBody {
  size: number;
  open(): Readable;
  dispose(): Promise<void>;
}

export async function spoolToTempFile(body: Readable): Promise<SpooledBody> {
  const dir = await mkdtemp(join(tmpdir(), 'imgplane-spool-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'body');
  try {
    await pipeline(body, createWriteStream(path));
    const { size } = await stat(path);
    return { size, open: () => createReadStream(path), dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Runs `send` with a body of known size: the stream itself when its size is given, else a spool. */
export async function withKnownSize<T>(
  body: Readable,
  size: number | undefined,
  send: (body: Readable, size: number) => Promise<T>,
): Promise<T> {
  if (size !== undefined) return send(body, size);
  const spooled = await spoolToTempFile(body);
  try {
    return await send(spooled.open(), spooled.size);
  } finally {
    await spooled.dispose();
  }
}

/**
 * Streams the one `file` part of a multipart upload to a temporary file while hashing it, so
 * nothing is buffered whole and the byte limit stops the stream as soon as it is crossed. The
 * caller must call `discard()` when done: the temp file never outlives the request.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { ImgplaneError, badRequest } from '../../core/errors.ts';
import type { ReceivedUpload } from '../../platform/assets/received-upload.ts';
import { tempFilePath } from '../../core/temp-files.ts';


/** Where uploads stream to; server start sweeps the files of crashed processes (core/temp-files.ts). */
export const UPLOAD_DIR = path.join(tmpdir(), 'imgplane-uploads');

export async function receiveUpload(request: FastifyRequest, maxBytes: number): Promise<ReceivedUpload> {
  if (!request.isMultipart()) throw badRequest('uploads must be multipart/form-data with a "file" field');
  await mkdir(UPLOAD_DIR, { recursive: true });
  const filePath = tempFilePath(UPLOAD_DIR);
  const discard = () => rm(filePath, { force: true });
  const fields: Record<string, string> = {};
  let received: Omit<ReceivedUpload, 'fields' | 'discard'> | undefined;
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 8192 } })) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== 'file') throw badRequest(`unexpected file field "${part.fieldname}" (use "file")`);
      const hash = createHash('sha256');
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(part.file, tap, createWriteStream(filePath, { flags: 'wx' }));
      if (part.file.truncated) throw tooLarge(maxBytes);
      received = {
        filePath,
        sha256: hash.digest('hex'),
        size,
        filename: part.filename || 'upload',
        declaredMimeType: part.mimetype || undefined,
      };
    }
  } catch (error) {
    await discard();
    throw translate(error, maxBytes);
  }
  if (!received) throw badRequest('the multipart body has no "file" field');
  return { ...received, fields, discard };
}

function tooLarge(maxBytes: number): ImgplaneError {
  return new ImgplaneError('payload_too_large', `file is larger than this space's upload limit of ${maxBytes} bytes`, {
    detail: { max_upload_bytes: maxBytes },
  });
}

/** Multipart library errors carry HTTP-ish codes; give them our shape and a readable message. */
function translate(error: unknown, maxBytes: number): unknown {
  if (error instanceof ImgplaneError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(maxBytes);
  if (code === 'FST_FILES_LIMIT') return badRequest('send exactly one file per upload');
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') return badRequest('too many form fields');
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return badRequest('uploads must be multipart/form-data');
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error)?.message?.includes('aborted')) {
    return new ImgplaneError('bad_request', 'the upload was aborted before it finished');
  }
  return error;
}

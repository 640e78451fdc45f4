/** Small HTTP helpers for integration tests (Node's fetch, real sockets). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CORPUS_DIR } from '../../core/pipeline/testing.ts';

/** The shared edge-case corpus, beside the repository (never copied into it). */
export { CORPUS_DIR };

export async function corpusFile(name: string): Promise<Buffer> {
  return readFile(path.join(CORPUS_DIR, name));
}

export interface UploadFields {
  tags?: string;
  folder?: string;
  access?: 'public' | 'private';
  filename?: string;
  contentType?: string;
}

export async function upload(
  baseUrl: string,
  apiKey: string,
  spaceId: string,
  bytes: Buffer,
  fields: UploadFields = {},
  method: 'POST' | 'PUT' = 'POST',
  assetId?: string,
): Promise<Response> {
  const form = new FormData();
  for (const name of ['tags', 'folder', 'access'] as const) {
    const value = fields[name];
    if (value !== undefined) form.append(name, value);
  }
  form.append('file', new Blob([new Uint8Array(bytes)], { type: fields.contentType ?? 'application/octet-stream' }), fields.filename ?? 'upload.bin');
  const url = method === 'POST' ? `${baseUrl}/v1/spaces/${spaceId}/assets` : `${baseUrl}/v1/assets/${assetId}`;
  return fetch(url, { method, headers: { 'x-api-key': apiKey }, body: form });
}

export async function responseBytes(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

/**
 * What `imgplane upload` sends: the image files under the given paths (folders recursively,
 * hidden files skipped), each with its SHA-256, which is how the server deduplicates too.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CliError } from './errors.ts';

export interface LocalFile {
  path: string;
  size: number;
  sha256: string;
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif', '.gif', '.tif', '.tiff', '.svg', '.heic', '.heif']);

export async function collectFiles(paths: readonly string[]): Promise<{ files: string[]; ignored: string[] }> {
  const files: string[] = [];
  const ignored: string[] = [];
  for (const given of paths) {
    const info = await stat(given).catch(() => {
      throw new CliError(`${given}: no such file or folder`);
    });
    if (info.isFile()) {
      // Named explicitly: the server decides whether it is an image.
      files.push(given);
      continue;
    }
    const entries = await readdir(given, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const relative = path.relative(given, full);
      if (relative.split(path.sep).some((part) => part.startsWith('.'))) continue;
      (IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase()) ? files : ignored).push(full);
    }
  }
  return { files: files.sort(), ignored };
}

export async function hashFile(file: string): Promise<LocalFile> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  const { size } = await stat(file);
  return { path: file, size, sha256: hash.digest('hex') };
}

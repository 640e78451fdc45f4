/**
 * The zero-config default has no IMGPLANE_MASTER_KEY: generate one on first start and keep it in
 * the (git-ignored) data folder, readable by this user only. Production must configure its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeKey } from '../core/config.ts';

export async function loadOrCreateDevMasterKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'master.key');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) return decodeKey(existing);
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  return key;
}

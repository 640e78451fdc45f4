/**
 * Temporary files that survive their writer's crash for one start only. Each is named after the
 * process that writes it (`{pid}-{uuid}`), so a later start can remove the files whose writer is
 * gone (kill -9, OOM) without touching those of other processes sharing the folder.
 */
import { randomUUID } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Past this age a file is an orphan whatever its name says (its pid may have been reused). */
const ORPHAN_AGE_MS = 24 * 60 * 60 * 1000;

export function tempFilePath(dir: string): string {
  return path.join(dir, `${process.pid}-${randomUUID()}`);
}

/** Removes the files of `dir` whose writer is no longer running; returns how many. */
export async function sweepOrphanedTempFiles(dir: string, now = Date.now()): Promise<number> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  let removed = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    const writer = Number(/^(\d+)-/.exec(name)?.[1]);
    const orphan = !Number.isInteger(writer) || !isRunning(writer) || now - info.mtimeMs > ORPHAN_AGE_MS;
    if (orphan && writer !== process.pid) {
      await rm(file, { force: true });
      removed += 1;
    }
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

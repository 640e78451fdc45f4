/**
 * The `imgplane` CLI, driven as a child process through its bin launcher against a real server
 * and a database of its own (the first operator key is a property of the whole database).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildProgram } from '../../cli/program.ts';
import { parseOperations } from '../../cli/commands/presets.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { REPO_ROOT, runCli, type Finished } from '../support/processes.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';
import { uniqueSlug } from '../support/tenancy.ts';

const CORPUS = path.join(REPO_ROOT, 'test', 'fixtures', 'corpus');

let database: ScratchDatabase;
let app: TestApp;
let operatorKey: string;

function json<T>(finished: Finished): T {
  expect(finished.stderr.includes('error:') ? finished.stderr : '', 'the command failed').toBe('');
  expect(finished.code).toBe(0);
  return JSON.parse(finished.stdout) as T;
}

/** `imgplane --json ARGS` against the test server with `key`. */
const cli = (key: string, ...args: string[]) => runCli(['--json', ...args], { IMGPLANE_URL: app.baseUrl, IMGPLANE_API_KEY: key });
const bootstrap = (...args: string[]) => runCli(['--json', 'bootstrap', ...args], { DATABASE_URL: database.url });

beforeAll(async () => {
  database = await createScratchDatabase(inject('databaseUrl'), 'imgplane_cli');
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describe('imgplane bootstrap', () => {
  it('creates the operator key once, refuses a second time, and rotates on request', async () => {
    // An empty database: bootstrap applies the schema itself.
    const first = json<{ secret: string; revoked: number }>(await bootstrap());
    expect(first.secret).toMatch(/^imgp_live_[0-9a-f]+_[0-9a-f]{64}$/);
    expect(first.revoked).toBe(0);

    app = await startTestApp({ config: { databaseUrl: database.url } });
    expect(json<unknown[]>(await cli(first.secret, 'org', 'list'))).toEqual([]);

    const again = await bootstrap();
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has a platform operator key/);
    expect(again.stderr).toMatch(/--rotate/);
    expect(again.stdout).not.toMatch(/imgp_live_/);

    const rotated = json<{ secret: string; revoked: number }>(await bootstrap('--rotate'));
    expect(rotated.revoked).toBe(1);
    expect(rotated.secret).not.toBe(first.secret);
    app.platform.auth.forgetAll(); // the test server cached the old key's check a moment ago
    const refused = await cli(first.secret, 'org', 'list');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/API key was refused/);
    expect(refused.stderr).toMatch(/hint: pass --key or set IMGPLANE_API_KEY/);
    operatorKey = rotated.secret;
    expect(json<unknown[]>(await cli(operatorKey, 'org', 'list'))).toEqual([]);
  }, 120_000);
});

describe('imgplane control plane, upload, sign, usage', () => {
  it('creates an organisation, tenant, space, key and preset, uploads a folder, signs and reports usage', async () => {
    const slug = uniqueSlug('cli');
    const org = json<{ rowId: string; slug: string }>(await cli(operatorKey, 'org', 'create', slug, '--name', 'CLI Org'));
    expect(org.slug).toBe(slug);
    json(await cli(operatorKey, 'tenant', 'create', 'shop', '--org', slug));
    const space = json<{ rowId: string }>(await cli(operatorKey, 'space', 'create', 'media', '--tenant', `${slug}/shop`));
    const key = json<{ secret: string; scopes: string[]; organizationId: string }>(
      await cli(operatorKey, 'key', 'create', '--org', slug, '--name', 'uploader', '--scopes', 'image:read,image:write,sign,admin'),
    );
    expect(key.organizationId).toBe(org.rowId);
    expect(key.scopes.sort()).toEqual(['admin', 'image:read', 'image:write', 'sign']);
    const keys = json<{ keyId: string; status: string }[]>(await cli(key.secret, 'key', 'list'));
    expect(keys.map((row) => row.status)).toEqual(['active']);

    const preset = json<{ name: string; operations: Record<string, unknown> }>(
      await cli(key.secret, 'preset', 'create', 'thumb', '--ops', 'w=200,h=200,f=cover', '--space', `${slug}/shop/media`),
    );
    expect(preset.operations).toEqual({ w: 200, h: 200, f: 'cover' });
    const badPreset = await cli(key.secret, 'preset', 'create', 'zoomy', '--ops', 'zoom=3', '--org', slug);
    expect(badPreset.code).toBe(1);
    expect(badPreset.stderr).toMatch(/zoom/);
    expect(json<{ name: string }[]>(await cli(key.secret, 'preset', 'list')).map((row) => row.name)).toEqual(['thumb']);

    // A folder with two images, a byte-identical copy of one of them in a subfolder, and a text file.
    const folder = await mkdtemp(path.join(tmpdir(), 'imgplane-cli-upload-'));
    try {
      await mkdir(path.join(folder, 'more'));
      await copyFile(path.join(CORPUS, '320x240.jpg'), path.join(folder, 'a.jpg'));
      await copyFile(path.join(CORPUS, 'full-transparent.png'), path.join(folder, 'b.png'));
      await copyFile(path.join(CORPUS, '320x240.jpg'), path.join(folder, 'more', 'copy-of-a.jpg'));
      await writeFile(path.join(folder, 'notes.txt'), 'not an image');
      type Summary = { uploaded: number; alreadyThere: number; duplicates: number; failed: number; ignored: number; files: { path: string; outcome: string; assetId?: string }[] };
      const summary = json<Summary>(await cli(key.secret, 'upload', folder, '--space', `${slug}/shop/media`, '--concurrency', '2'));
      expect({ ...summary, files: undefined }).toEqual({ spaceId: space.rowId, uploaded: 2, alreadyThere: 0, duplicates: 1, failed: 0, ignored: 1, files: undefined });
      expect(summary.files.find((file) => file.path.endsWith('copy-of-a.jpg'))?.outcome).toBe('duplicate');
      const assetA = summary.files.find((file) => file.path.endsWith('a.jpg') && file.outcome === 'uploaded')!.assetId!;

      // A second run sends nothing: the space already holds both.
      const rerun = json<Summary>(await cli(key.secret, 'upload', folder, '--space', space.rowId));
      expect([rerun.uploaded, rerun.alreadyThere, rerun.duplicates, rerun.failed]).toEqual([0, 2, 1, 0]);
      const { rows } = await app.db.query('select count(*)::int as n from imgplane.assets where space_id = $1', [space.rowId]);
      expect(rows[0].n).toBe(2);

      // Signing needs a signing key of the organisation.
      json(await cli(key.secret, 'signing-key', 'rotate'));
      const signed = json<{ url: string }>(await cli(key.secret, 'sign', `/v1/priv/${slug}/shop/media/img/${assetA}/v1/original.jpg`, '--ttl', '600'));
      const image = await fetch(signed.url.replace(/^https?:\/\/[^/]+/, app.baseUrl));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/jpeg');

      // A data team's SQL login for this organisation, through issue 17's createAnalystLogin.
      const analyst = json<{ roleName: string; password: string }>(await cli(key.secret, 'analyst', 'create', '--org', slug));
      expect(analyst.password.length).toBeGreaterThan(16);
      expect(json<{ roleName: string }[]>(await cli(key.secret, 'analyst', 'list')).map((row) => row.roleName)).toContain(analyst.roleName);
      expect(json<{ dropped: boolean }>(await cli(key.secret, 'analyst', 'drop', analyst.roleName)).dropped).toBe(true);

      await app.platform.usage.flush();
      const usage = json<{ spaceSlug: string; uploadCount: string }[]>(await cli(key.secret, 'usage', '--org', slug));
      expect(usage.map((row) => [row.spaceSlug, Number(row.uploadCount)])).toEqual([['media', 2]]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 180_000);

  it('says what to do when the key is missing or an organisation does not exist', async () => {
    const noKey = await runCli(['org', 'list'], { IMGPLANE_URL: app.baseUrl });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/error: no API key\nhint: pass --key or set IMGPLANE_API_KEY/);
    const unknown = await cli(operatorKey, 'tenant', 'create', 'x', '--org', 'no-such-org');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no organisation "no-such-org"[\s\S]*hint: list them with `imgplane org list`/);
    const down = await runCli(['org', 'list'], { IMGPLANE_URL: 'http://127.0.0.1:9', IMGPLANE_API_KEY: operatorKey });
    expect(down.stderr).toMatch(/cannot reach imgplane at http:\/\/127\.0\.0\.1:9[\s\S]*IMGPLANE_URL/);
  }, 60_000);
});

describe('imgplane --help', () => {
  function leaves(command: Command): Command[] {
    return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
  }

  it('describes every command and option', () => {
    const commands = leaves(buildProgram());
    expect(commands.length).toBeGreaterThan(15);
    for (const command of commands) {
      expect(command.description(), command.name()).not.toBe('');
      for (const option of command.options) expect(option.description, `${command.name()} ${option.flags}`).not.toBe('');
    }
  });

  it('prints help for a nested command', async () => {
    const help = await runCli(['upload', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: imgplane upload \[options\] <paths\.\.\.>/);
    expect(help.stdout).toMatch(/--concurrency <n>/);
  });
});

describe('parseOperations', () => {
  it('reads key=value lists and JSON, and refuses what is neither', () => {
    expect(parseOperations('w=400,h=300,fmt=webp,bw=true')).toEqual({ w: 400, h: 300, fmt: 'webp', bw: true });
    expect(parseOperations('{"w": 10}')).toEqual({ w: 10 });
    expect(() => parseOperations('w')).toThrow(/"w" is not key=value/);
    expect(() => parseOperations('{w')).toThrow(/not valid JSON/);
  });
});

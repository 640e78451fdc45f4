/**
 * Scale-out, proven with real processes: 2 servers and 2 workers (WORKER_MODE=external, the
 * command of `npm run worker`) on one PostgreSQL database, one Redis and one shared storage
 * folder. The database is this file's own: external workers must not take other files' jobs.
 * - 100 concurrent requests for one new variant, spread over both servers: 1 transform in total;
 * - a key revoked through one server is refused by the other within 1 s (the outbox's NOTIFY,
 *   not the 10 s auth cache TTL);
 * - a new version uploaded through one server is what the other serves on its `latest` URL within
 *   1 s, although that server had the old version cached;
 * - a worker killed with SIGKILL while it runs a job: the other finishes it, one variant stored.
 */
import { randomBytes } from 'node:crypto';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyDatabase } from '../../db/apply.ts';
import { createApiKey } from '../../platform/keys/api-key-admin.ts';
import { PRESENCE_LOCK_CLASS } from '../../worker/dead-worker-recovery.ts';
import { corpusFile, responseBytes, upload } from '../support/http.ts';
import { flatPicture, pixelAt, uploadAsset } from '../http/delivery-fixtures.ts';
import { startTestApp, testAuthDatabaseUrl, type TestApp } from '../support/app.ts';
import { REPO_ROOT, startEntryPoint, type Started } from '../support/processes.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

const redisUrl = inject('redisUrl');
const METRICS_TOKEN = randomBytes(16).toString('hex');
if (!redisUrl) console.warn('[scale-out] skipped: no Redis answers on 127.0.0.1:6379 (servers share the lock and cache through it)');

let database: ScratchDatabase;
let storageDir: string;
let control: TestApp;
let org: TestOrganization;
const servers: { process: Started; baseUrl: string }[] = [];
const workers: Started[] = [];

describe.skipIf(!redisUrl)('two servers and two workers on one database and Redis', () => {
  beforeAll(async () => {
    database = await createScratchDatabase(inject('databaseUrl'), 'imgplane_scale');
    await applyDatabase(database.url);
    storageDir = await mkdtemp(path.join(tmpdir(), 'imgplane-scale-storage-'));
    control = await startTestApp({ config: { databaseUrl: database.url }, redisUrl, storage: { kind: 'local', dir: storageDir } });
    org = await createOrganization(control.platform, 'scale');
    const env = {
      DATABASE_URL: database.url,
      AUTH_DATABASE_URL: testAuthDatabaseUrl(database.url),
      REDIS_URL: redisUrl,
      STORAGE: 'local',
      STORAGE_DIR: storageDir,
      IMGPLANE_DATA_DIR: storageDir,
      IMGPLANE_MASTER_KEY: randomBytes(32).toString('base64'),
      WORKER_MODE: 'external',
      SEED_DEMO: 'false',
      PORT: '0',
      LOG_LEVEL: 'warn',
      // Two servers on one host: metrics on the public port behind a token, not on METRICS_PORT.
      METRICS_PORT: 'off',
      METRICS_TOKEN,
    };
    for (let index = 0; index < 2; index++) {
      const process = startEntryPoint('server/main.ts', env);
      const [, baseUrl] = await process.waitFor(/listening on (http:\/\/\S+)/);
      servers.push({ process, baseUrl: baseUrl! });
    }
    // What `npm run worker` runs, started as node itself so that SIGKILL reaches the worker.
    const scripts = (JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.worker).toMatch(/worker\/main\.ts/);
    for (let index = 0; index < 2; index++) {
      const worker = startEntryPoint('worker/main.ts', env);
      await worker.waitFor(/\[imgplane worker\] running/);
      workers.push(worker);
    }
  }, 180_000);

  afterAll(async () => {
    for (const started of [...servers.map((server) => server.process), ...workers]) {
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGTERM');
      await started.exited;
    }
    await control?.close();
    await database?.drop();
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
  }, 120_000);

  async function transformsOn(baseUrl: string): Promise<number> {
    const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('imgplane_transforms_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  it('renders a new variant once for 100 concurrent requests spread across both servers', async () => {
    const tenant = org.tenants[0];
    // Bytes of their own: no cache of an earlier run may hold this variant.
    const asset = await uploadAsset(servers[0]!.baseUrl, tenant, await flatPicture(1200, 900, `#${randomBytes(3).toString('hex')}`));
    const before = (await transformsOn(servers[0]!.baseUrl)) + (await transformsOn(servers[1]!.baseUrl));
    const imagePath = `/v1/pub/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${asset.id}/v${asset.version}/w_333-q_71.webp`;
    const responses = await Promise.all(
      Array.from({ length: 100 }, async (_, index) => {
        const response = await fetch(`${servers[index % 2]!.baseUrl}${imagePath}`);
        return { status: response.status, etag: response.headers.get('etag'), bytes: (await response.arrayBuffer()).byteLength };
      }),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
    expect(new Set(responses.map((response) => response.etag)).size).toBe(1);
    const after = (await transformsOn(servers[0]!.baseUrl)) + (await transformsOn(servers[1]!.baseUrl));
    expect(after - before).toBe(1);
    const { rows } = await control.db.query(
      `select count(*)::int as n from imgplane.derived_assets where asset_id = $1 and operations_canonical like '%w_333%'`,
      [asset.id],
    );
    expect(rows[0].n).toBe(1);
  }, 120_000);

  it('refuses a key on one server within 1 s of its revocation through the other', async () => {
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const adminClaims = await control.platform.auth.authenticate(org.adminKey);
    const key = await createApiKey(control.platform.pool, adminClaims, { name: 'revoked soon', scopes: ['image:read'] });
    const probe = () => fetch(`${b.baseUrl}/v1/assets/00000000-0000-4000-8000-000000000000`, { headers: { 'x-api-key': key.secret } });
    expect((await probe()).status).toBe(404); // authenticated (and now cached on b), no such asset

    const revoked = await fetch(`${a.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': org.adminKey },
      body: JSON.stringify({ query: 'mutation($id: UUID!) { revokeApiKey(input: { rowId: $id }) { apiKey { status } } }', variables: { id: key.id } }),
    });
    expect(((await revoked.json()) as { data?: { revokeApiKey: { apiKey: { status: string } } } }).data?.revokeApiKey.apiKey.status).toBe('revoked');
    const revokedAt = performance.now();
    let status = 0;
    while (performance.now() - revokedAt < 1_000) {
      status = (await probe()).status;
      if (status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status, 'still accepted 1 s after the revocation').toBe(401);
  }, 60_000);

  it('serves a new version on latest from the other server within 1 s of its upload through one', async () => {
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const tenant = org.tenants[0];
    const asset = await uploadAsset(a.baseUrl, tenant, await flatPicture(64, 48, '#ff0000', 'png'));
    const latestUrl = `${b.baseUrl}/v1/pub/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${asset.id}/latest/w_32.png`;
    const redServed = async () => (await pixelAt(await responseBytes(await fetch(latestUrl)), 0, 0))[0];
    expect(await redServed()).toBe(255);
    // b keeps version 1 in memory from its second request on.
    expect(['hit-redis', 'hit-storage']).toContain((await fetch(latestUrl)).headers.get('x-cache'));
    expect((await fetch(latestUrl)).headers.get('x-cache'), 'b keeps version 1 cached').toBe('hit-memory');

    const replaced = await upload(a.baseUrl, tenant.key, tenant.spaceId, await flatPicture(64, 48, '#000000', 'png'), {}, 'PUT', asset.id);
    expect(replaced.status).toBe(201);
    expect(((await replaced.json()) as { version: number }).version).toBe(2);
    const uploadedAt = performance.now();
    let red = await redServed();
    while (red !== 0 && performance.now() - uploadedAt < 1_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      red = await redServed();
    }
    expect(red, 'b still served version 1 on latest 1 s after version 2 was uploaded through a').toBe(0);
  }, 60_000);

  it('finishes the job of a worker killed with SIGKILL on the other worker, with one variant', async () => {
    const tenant = org.tenants[1];
    // A preset pregenerated for every upload, slow enough to be caught mid-job.
    const presetName = `big${randomBytes(3).toString('hex')}`;
    const adminHeaders = { 'content-type': 'application/json', 'x-api-key': org.adminKey };
    const created = await fetch(`${servers[0]!.baseUrl}/graphql`, {
      method: 'POST',
      headers: adminHeaders,
      body: JSON.stringify({
        query: 'mutation($p: PresetInput!) { createPreset(input: { preset: $p }) { preset { rowId } } }',
        variables: { p: { organizationId: org.id, name: presetName, operations: { w: 2400, fmt: 'avif', q: 60 }, autoGenerate: true } },
      }),
    });
    expect(((await created.json()) as { errors?: unknown }).errors).toBeUndefined();
    const asset = await uploadAsset(servers[1]!.baseUrl, tenant, await corpusFile('2569067123_aca715a2ee_o.jpg'));

    // Find the worker process running the pregeneration: its presence lock names its pid.
    let victim: Started | undefined;
    const seen = new Set<string>();
    for (let attempt = 0; attempt < 1_500 && !victim; attempt++) {
      const jobs = await control.db.query<{ task_identifier: string; key: string | null; locked_by: string | null }>(
        'select task_identifier, key, locked_by from graphile_worker.jobs',
      );
      for (const job of jobs.rows) seen.add(`${job.task_identifier} ${job.key} ${job.locked_by ?? ''}`);
      const { rows } = await control.db.query<{ application_name: string }>(
        `select a.application_name
           from graphile_worker.jobs j
           join pg_locks l on l.locktype = 'advisory' and l.objsubid = 2 and l.granted
                          and l.classid = $1::bigint::oid and l.objid = (hashtext(j.locked_by)::bigint & 4294967295)::oid
           join pg_stat_activity a on a.pid = l.pid
          where j.task_identifier = 'pregenerate_variant' and j.locked_by is not null and j.key like 'pregenerate:' || $2 || ':%'`,
        [PRESENCE_LOCK_CLASS, asset.id],
      );
      const pid = Number(/pid (\d+)/.exec(rows[0]?.application_name ?? '')?.[1]);
      victim = workers.find((worker) => worker.child.pid === pid);
      if (!victim) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(victim, `no worker was seen running the pregeneration job; jobs seen: ${[...seen].join('; ')}`).toBeDefined();
    victim!.child.kill('SIGKILL');
    expect((await victim!.exited).signal).toBe('SIGKILL');
    const survivor = workers.find((worker) => worker !== victim)!;

    // The survivor returns the dead worker's job to the queue and runs it.
    let variants = 0;
    let pending = 1;
    for (let attempt = 0; attempt < 600 && (variants === 0 || pending > 0); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const found = await control.db.query<{ n: number }>(
        `select count(*)::int as n from imgplane.derived_assets where asset_id = $1 and output_format = 'avif'`,
        [asset.id],
      );
      const jobs = await control.db.query<{ n: number }>(
        `select count(*)::int as n from graphile_worker.jobs where task_identifier = 'pregenerate_variant' and key like 'pregenerate:' || $1 || ':%'`,
        [asset.id],
      );
      variants = found.rows[0]!.n;
      pending = jobs.rows[0]!.n;
    }
    expect(pending).toBe(0);
    expect(variants).toBe(1);
    expect(survivor.output()).toMatch(/returned the jobs of 1 dead worker/);
    // Presence locks queue on their one connection: two queries at once on a pg client are
    // deprecated, and refused from pg 9.
    for (const worker of workers) expect(worker.output()).not.toMatch(/DeprecationWarning/);
  }, 180_000);
});

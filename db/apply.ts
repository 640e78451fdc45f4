/**
 * Brings a database up to date: dbmate migrations (db/schema, append-only), then every idempotent
 * file of db/functions and db/policies in file-name order, in one transaction, unless the database
 * was last applied with exactly these files (imgplane.applied_sql), and the months ahead of the
 * partitioned tables. Safe to run from several processes at once and as often as wanted: a second
 * run changes nothing, and a start of an unchanged version takes no lock a request would wait for.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolveBinary } from 'dbmate';
import { Logger, runMigrations as runJobQueueMigrations } from 'graphile-worker';
import pg from 'pg';
import { policyKeyRows, syncPolicyKeys } from './policy-keys.ts';

export interface ApplyOptions {
  /** Receives one human-readable line per step (dbmate output included). */
  log?: (line: string) => void;
  /** Re-declare functions and policies even when their digest says they are in place (`npm run db:apply`). */
  force?: boolean;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const idempotentFolders = ['db/functions', 'db/policies'] as const;

/** Any constant shared by every imgplane process; only serialises concurrent applies. */
const APPLY_LOCK_KEY = 0x1a9e_0001;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '']);

const runFile = promisify(execFile);

/** graphile-worker reports each migration at info level; only problems matter here. */
const QUIET_WORKER_LOGGER = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`[graphile-worker] ${message}`);
});

export async function applyDatabase(databaseUrl: string, options: ApplyOptions = {}): Promise<void> {
  const log = options.log ?? (() => {});
  await ensureDatabaseExists(databaseUrl, log);

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // A session lock rather than pg_advisory_xact_lock: it must also cover dbmate, which runs in
    // its own process before our transaction starts. Closing the connection releases it.
    await client.query('select pg_advisory_lock($1)', [APPLY_LOCK_KEY]);
    if (await hasPendingMigrations(client)) await runMigrations(databaseUrl, log);
    else log('migrations: up to date');
    // The job queue's schema belongs to the database too: installed here, under the same lock,
    // because graphile-worker's own migrations deadlock when two workers start on a new database.
    // Before the idempotent SQL, which grants on it (db/policies/061_webhook_job_queue.sql).
    await installJobQueue(databaseUrl);
    const files = await readIdempotentSql();
    const digest = idempotentDigest(files);
    if (!options.force && (await appliedDigest(client)) === digest) log('functions and policies: unchanged');
    else await withDeadlockRetries(() => applyIdempotentSql(client, files, digest, log));
    // the months ahead of the partitioned tables (cheap when they exist)
    await client.query('select imgplane.maintain_partitions()');
  } finally {
    await client.end();
  }
}

/**
 * graphile-worker's migrations on a pool of our own. Given only a connection string it makes one,
 * removes its 'error' listener and then ends it without waiting: applyDatabase could return with
 * a connection still closing, and a database dropped right after (the tests do) made that pool
 * emit 57P01 with nobody listening, an uncaught exception.
 */
async function installJobQueue(databaseUrl: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  // A connection lost meanwhile: the next query reports it (graphile-worker checks for both).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    await runJobQueueMigrations({ pgPool: pool, logger: QUIET_WORKER_LOGGER });
  } finally {
    await pool.end();
  }
}

async function ensureDatabaseExists(databaseUrl: string, log: (line: string) => void): Promise<void> {
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if (pgErrorCode(error) !== '3D000') throw error; // 3D000: database does not exist
  } finally {
    await probe.end().catch(() => {});
  }

  const target = new URL(databaseUrl);
  const databaseName = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenance.toString() });
  await admin.connect();
  try {
    await admin.query(`create database ${pg.escapeIdentifier(databaseName)}`);
    log(`created database ${databaseName}`);
  } catch (error) {
    // another process created it between our probe and now: that is the outcome we wanted
    const code = pgErrorCode(error);
    if (code !== '42P04' && code !== '23505') throw error;
  } finally {
    await admin.end();
  }
}

/**
 * dbmate takes most of a second even with nothing to do (several connections); most starts have
 * nothing to do, so compare its bookkeeping table with the migration files first.
 */
async function hasPendingMigrations(client: pg.Client): Promise<boolean> {
  const files = await readdir(new URL('../db/schema/', import.meta.url));
  const versions = files.flatMap((name) => /^(\d+)_.*\.sql$/.exec(name)?.[1] ?? []);
  const applied = await client
    .query<{ version: string }>('select version from public.schema_migrations')
    .then((result) => new Set(result.rows.map((row) => row.version)))
    .catch((error: unknown) => {
      if (pgErrorCode(error) === '42P01') return new Set<string>(); // undefined_table: never migrated
      throw error;
    });
  return versions.some((version) => !applied.has(version));
}

async function runMigrations(databaseUrl: string, log: (line: string) => void): Promise<void> {
  const { stdout } = await runFile(
    resolveBinary(), // the Go binary itself: the npm wrapper would start another Node first
    ['--url', dbmateUrl(databaseUrl), '--migrations-dir', 'db/schema', '--no-dump-schema', 'up'],
    { cwd: repoRoot },
  ).catch((error: unknown) => {
    throw new Error(`dbmate up failed: ${describeExecError(error)}`, { cause: error });
  });
  for (const line of stdout.split('\n')) if (line.trim() !== '') log(`dbmate: ${line.trim()}`);
}

/** dbmate's driver insists on TLS unless told otherwise; local servers rarely offer it. */
function dbmateUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.searchParams.has('sslmode') && LOCAL_HOSTS.has(url.hostname)) url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

/**
 * What an apply of these files would declare: their names and contents, and the policy keys the
 * code defines. Re-declaring grants and policies locks every table (so it can deadlock with
 * running requests, see withDeadlockRetries); a start of the version already applied skips it.
 */
function idempotentDigest(files: readonly SqlFile[]): string {
  const hash = createHash('sha256');
  for (const { file, sql } of files) hash.update(`${file}\0${sql}\0`);
  hash.update(JSON.stringify(policyKeyRows()));
  return hash.digest('hex');
}

async function appliedDigest(client: pg.Client): Promise<string | undefined> {
  const { rows } = await client.query<{ digest: string }>('select digest from imgplane.applied_sql');
  return rows[0]?.digest;
}

async function applyIdempotentSql(client: pg.Client, files: readonly SqlFile[], digest: string, log: (line: string) => void): Promise<void> {
  let keys = 0;
  await client.query('begin');
  try {
    for (const { file, sql } of files) {
      await client.query(sql).catch((error: unknown) => {
        throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
    }
    // before the commit: effective_policy() reads the catalog, so code and catalog change together
    keys = await syncPolicyKeys(client);
    await client.query(
      `insert into imgplane.applied_sql (digest) values ($1)
       on conflict (singleton) do update set digest = excluded.digest, applied_at = now()`,
      [digest],
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
  log(`applied ${files.length} function and policy files, ${keys} policy keys`);
}

/**
 * Re-declaring grants and policies takes locks on every table, so an apply while requests run
 * (a rolling deploy, a second instance starting) can deadlock with them; PostgreSQL then rolls
 * our transaction back, and running it again is safe (it is idempotent).
 */
async function withDeadlockRetries(apply: () => Promise<void>, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await apply();
    } catch (error) {
      const code = pgErrorCode(error) ?? pgErrorCode((error as { cause?: unknown }).cause);
      if (code !== '40P01' || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

interface SqlFile {
  /** Path from the repository root, e.g. db/policies/010_tenancy.sql. */
  file: string;
  sql: string;
}

/** The files of db/functions, then db/policies, each in file-name order, read once per apply. */
async function readIdempotentSql(): Promise<SqlFile[]> {
  const files: SqlFile[] = [];
  for (const folder of idempotentFolders) {
    const names = (await readdir(new URL(`../${folder}/`, import.meta.url))).filter((name) => name.endsWith('.sql')).sort();
    for (const name of names) {
      const file = `${folder}/${name}`;
      files.push({ file, sql: await readFile(new URL(`../${file}`, import.meta.url), 'utf8') });
    }
  }
  return files;
}

function pgErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function describeExecError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'stderr' in error && typeof error.stderr === 'string') {
    return error.stderr.trim() || String(error);
  }
  return error instanceof Error ? error.message : String(error);
}

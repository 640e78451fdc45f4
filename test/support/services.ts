/**
 * Finds the real services tests talk to: a PostgreSQL server and Redis when they answer,
 * otherwise (PostgreSQL only) an embedded cluster, so `npm test` passes on a fresh machine too.
 *
 * Tests never write into a database someone configured: TEST_DATABASE_URL or DATABASE_URL only
 * names the server. The run creates databases of its own there (`imgplane_test_…`) and drops
 * them at the end; the database named in the URL is not even connected to when the server has
 * its `postgres` maintenance database.
 */
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { redactUrl } from '../../core/config.ts';
import { authenticatorUrl } from '../../db/authenticator.ts';
import { startEmbeddedPostgres } from '../../db/embedded.ts';

/** A PostgreSQL server on which the run may create and drop databases. */
export interface TestServer {
  /** Connection for CREATE/DROP DATABASE (the server's maintenance database). */
  adminUrl: string;
  /** Human-readable origin, printed once at the start of the run. */
  source: string;
  /** Of imgplane_authenticator, the login of requests and jobs ('' where the server trusts it). */
  authenticatorPassword: string;
  /** Stops an embedded cluster; a no-op for a server someone else runs. */
  release(): Promise<void>;
}

export interface TestDatabase {
  /** As the migrating login. */
  url: string;
  /** The same database as imgplane_authenticator (AUTH_DATABASE_URL of a server on it). */
  authUrl: string;
  source: string;
  release(): Promise<void>;
}

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The server of TEST_DATABASE_URL, else of DATABASE_URL; else 127.0.0.1:5432 when a server
 * answers there; else an embedded cluster. `TEST_DATABASE=embedded` forces the last, to exercise
 * the fresh-machine path on a machine that has a server.
 */
export async function acquireTestServer(): Promise<TestServer> {
  const forceEmbedded = process.env.TEST_DATABASE === 'embedded';
  const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (given && !forceEmbedded) {
    const variable = process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL' : 'DATABASE_URL';
    return {
      adminUrl: await maintenanceUrl(given),
      source: `the server of ${variable} (${redactUrl(given)})`,
      authenticatorPassword: process.env.AUTH_DATABASE_URL ? decodeURIComponent(new URL(process.env.AUTH_DATABASE_URL).password) : '',
      release: async () => {},
    };
  }
  if (!forceEmbedded && (await answers('127.0.0.1', 5432))) {
    return { adminUrl: LOCAL_SERVER, source: 'the server on 127.0.0.1:5432', authenticatorPassword: '', release: async () => {} };
  }
  const cluster = await startEmbeddedPostgres({
    dataDir: path.join(tmpdir(), `imgplane-test-pg-${process.pid}-${randomBytes(3).toString('hex')}`),
    port: 0,
    persistent: false,
    databaseName: 'postgres',
  });
  const why = forceEmbedded ? 'TEST_DATABASE=embedded' : 'no server on 127.0.0.1:5432';
  return { adminUrl: cluster.url, source: `an embedded PostgreSQL (${why})`, authenticatorPassword: cluster.authenticatorPassword, release: cluster.stop };
}

/** A name no other run (or file of this run) uses, under `prefix`; safe as an SQL identifier. */
export function uniqueDatabaseName(prefix = 'imgplane_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** The URL of database `name` on the server `adminUrl` reaches. */
export function databaseUrlOn(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates database `name`, as a copy of `template` when given (which must have no connections). */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<string> {
  const from = template ? ` template ${pg.escapeIdentifier(template)}` : '';
  await withAdminClient(adminUrl, (client) => client.query(`create database ${pg.escapeIdentifier(name)}${from}`)).catch(
    (error: unknown) => {
      throw new Error(
        `tests could not create database ${name} on ${redactUrl(adminUrl)} (${error instanceof Error ? error.message : String(error)}); ` +
          'point TEST_DATABASE_URL at a server where this role may create databases',
        { cause: error },
      );
    },
  );
  return databaseUrlOn(adminUrl, name);
}

/**
 * Drops databases, terminating whatever is still connected. Callers end their own pools first:
 * a connection terminated here reports 57P01 to its client, an uncaught error where nobody listens.
 */
export async function dropDatabases(adminUrl: string, names: readonly string[]): Promise<void> {
  await withAdminClient(adminUrl, async (client) => {
    for (const name of names) await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
  });
}

/** The databases on the server whose names start with `prefix` (what a run leaves if a file crashed). */
export async function databasesNamed(adminUrl: string, prefix: string): Promise<string[]> {
  return withAdminClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database where starts_with(datname, $1) order by datname`,
      [prefix],
    );
    return rows.map((row) => row.datname);
  });
}

/**
 * A fresh, empty database for tools that build one from db/ and throw it away (the GraphQL schema
 * export, the bench): on the same server the tests would use, dropped by `release`.
 */
export async function acquireTestDatabase(): Promise<TestDatabase> {
  const server = await acquireTestServer();
  const name = uniqueDatabaseName();
  try {
    const url = await createDatabase(server.adminUrl, name);
    return {
      url,
      authUrl: authenticatorUrl(url, server.authenticatorPassword),
      source: `database ${name} on ${server.source}`,
      release: async () => {
        await dropDatabases(server.adminUrl, [name]);
        await server.release();
      },
    };
  } catch (error) {
    await server.release();
    throw error;
  }
}

export async function redisUrlIfAvailable(): Promise<string | undefined> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  return (await answers('127.0.0.1', 6379)) ? 'redis://127.0.0.1:6379' : undefined;
}

/**
 * `postgres` on the same server (present on every stock cluster), so the configured database is
 * left alone; the configured one only when that is missing (3D000) or refused to this role.
 */
async function maintenanceUrl(given: string): Promise<string> {
  const candidate = databaseUrlOn(given, 'postgres');
  try {
    await withAdminClient(candidate, (client) => client.query('select 1'));
    return candidate;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === '3D000' || code === '42501' || code === '28000') return given;
    throw error;
  }
}

/**
 * A pool for a test's own queries. `pool.end()` resolves before its clients' sockets close, so a
 * database dropped right after (a file's own database) may terminate one still closing; without
 * these listeners its 57P01 would be an uncaught error. The platform's pools do the same.
 */
export function testPool(connectionString: string | undefined, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  // An idle connection that dies surfaces on the next query; without a listener it would crash.
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

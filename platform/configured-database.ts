/**
 * The database an installation is configured with, for one-off admin work (`imgplane bootstrap`):
 * DATABASE_URL when set; otherwise the zero-config embedded PostgreSQL, reached where a running
 * `npm start` serves it or started for the duration of the command. Either way the schema is
 * brought up to date first, so bootstrap works on an installation that never started.
 */
import { Socket } from 'node:net';
import path from 'node:path';
import { redactUrl, type AppConfig } from '../core/config.ts';
import { applyDatabase } from '../db/apply.ts';
import { embeddedDatabaseUrl, startEmbeddedPostgres } from '../db/embedded.ts';

export interface ConfiguredDatabase {
  url: string;
  /** Where it is, safe to print. */
  description: string;
  /** Stops an embedded cluster this call started; nothing otherwise. */
  close(): Promise<void>;
}

export async function openConfiguredDatabase(config: AppConfig, log: (line: string) => void = () => {}): Promise<ConfiguredDatabase> {
  const database = await locate(config, log);
  try {
    await applyDatabase(database.url);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function locate(config: AppConfig, log: (line: string) => void): Promise<ConfiguredDatabase> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, description: redactUrl(config.databaseUrl), close: async () => {} };
  }
  const port = config.embeddedPgPort;
  const dataDir = path.join(config.dataDir, 'postgres');
  if (await answers('127.0.0.1', port)) {
    return { url: embeddedDatabaseUrl(port), description: `the embedded PostgreSQL of a running npm start (port ${port})`, close: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ dataDir, port, persistent: true, log });
  return { url: embedded.url, description: `the embedded PostgreSQL in ${dataDir}`, close: embedded.stop };
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

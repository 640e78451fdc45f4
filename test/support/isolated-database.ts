/**
 * A database of a test file's own, on the run's server, with the schema applied. For tests that
 * run a worker whose outbox must not be drained by other files' workers (their dispatchers would
 * deliver this file's events to consumers this file does not control).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { applyDatabase } from '../../db/apply.ts';

export interface IsolatedDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createIsolatedDatabase(): Promise<IsolatedDatabase> {
  const shared = new URL(inject('databaseUrl'));
  const name = `${shared.pathname.slice(1)}_iso_${randomBytes(3).toString('hex')}`.slice(0, 63);
  const url = new URL(shared);
  url.pathname = `/${name}`;
  await applyDatabase(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const admin = new pg.Client({ connectionString: shared.toString() });
      await admin.connect();
      try {
        await admin.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

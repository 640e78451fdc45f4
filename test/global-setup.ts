/**
 * Runs once per `npm test`: finds or starts a PostgreSQL server, builds the whole database
 * (migrations, functions, policies) once into a template, and copies it into the run's shared
 * database, handed to every test file through `inject('databaseUrl')`. Files whose subject is the
 * whole database (a running worker, the variant lifecycle) copy the template into one of their own
 * (test/db/database.ts `createIsolatedDatabase`). Every database of the run is dropped at the end.
 */
import type { TestProject } from 'vitest/node';
import { applyDatabase } from '../db/apply.ts';
import { acquireTestServer, createDatabase, databasesNamed, dropDatabases, redisUrlIfAvailable, uniqueDatabaseName } from './support/services.ts';

export interface TestDatabases {
  /** Maintenance connection of the test server, for creating and dropping databases. */
  adminUrl: string;
  /** The migrated database nobody connects to, copied by CREATE DATABASE ... TEMPLATE. */
  template: string;
  /** Every database of this run starts with it. */
  prefix: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** Of imgplane_authenticator, the login of a server's requests and jobs ('' where trusted). */
    authenticatorPassword: string;
    testDatabases: TestDatabases;
    /** Empty when no Redis answers: tests that need it say so and skip. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await acquireTestServer();
  const prefix = uniqueDatabaseName();
  const dropRun = async () => dropDatabases(server.adminUrl, await databasesNamed(server.adminUrl, prefix));
  try {
    const template = `${prefix}_template`;
    await applyDatabase(await createDatabase(server.adminUrl, template));
    const databaseUrl = await createDatabase(server.adminUrl, prefix, template);
    console.log(`[imgplane tests] PostgreSQL: databases ${prefix}* on ${server.source}`);
    const redisUrl = (await redisUrlIfAvailable()) ?? '';
    console.log(`[imgplane tests] Redis: ${redisUrl || 'none answers on 127.0.0.1:6379 (Redis tests skip)'}`);
    project.provide('databaseUrl', databaseUrl);
    project.provide('authenticatorPassword', server.authenticatorPassword);
    project.provide('testDatabases', { adminUrl: server.adminUrl, template, prefix });
    project.provide('redisUrl', redisUrl);
  } catch (error) {
    await dropRun().catch(() => {});
    await server.release();
    throw error;
  }
  return async () => {
    try {
      await dropRun();
    } finally {
      await server.release();
    }
  };
}

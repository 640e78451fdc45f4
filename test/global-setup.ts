/**
 * Runs once per `npm test`: finds or starts PostgreSQL, applies the whole database (migrations,
 * functions, policies) and hands the URL to every test file through `inject('databaseUrl')`.
 */
import type { TestProject } from 'vitest/node';
import { applyDatabase } from '../db/apply.ts';
import { acquireTestDatabase, redisUrlIfAvailable } from './support/services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** Empty when no Redis answers: tests that need it say so and skip. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const database = await acquireTestDatabase();
  console.log(`[imgplane tests] PostgreSQL: ${database.source}`);
  await applyDatabase(database.url);
  const redisUrl = (await redisUrlIfAvailable()) ?? '';
  console.log(`[imgplane tests] Redis: ${redisUrl || 'none answers on 127.0.0.1:6379 (Redis tests skip)'}`);
  project.provide('databaseUrl', database.url);
  project.provide('redisUrl', redisUrl);
  return () => database.release();
}

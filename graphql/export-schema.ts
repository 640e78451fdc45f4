/**
 * `npm run graphql:schema`: writes graphql/schema.graphql from a throwaway database built from
 * db/ (a fresh one on the server of DATABASE_URL, else on 127.0.0.1:5432, else in an embedded
 * cluster), so leftovers in a development database never leak into the committed schema.
 */
import { writeFile } from 'node:fs/promises';
import pg from 'pg';
import { applyDatabase } from '../db/apply.ts';
import { acquireTestDatabase } from '../test/support/services.ts';
import { buildGraphqlSchema, SCHEMA_FILE, sortedSdl } from './schema-sdl.ts';

const database = await acquireTestDatabase();
try {
  console.log(`[graphql:schema] ${database.source}`);
  await applyDatabase(database.url);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  try {
    await writeFile(SCHEMA_FILE, sortedSdl(await buildGraphqlSchema(pool)));
  } finally {
    await pool.end();
  }
  console.log(`[graphql:schema] wrote ${SCHEMA_FILE}`);
} finally {
  await database.release();
}

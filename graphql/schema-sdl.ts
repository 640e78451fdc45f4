/**
 * The control plane's schema as SDL, sorted so that it only changes when the API does.
 * graphql/schema.graphql holds the committed copy; a test fails when it is stale.
 */
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { makeSchema } from 'postgraphile';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'postgraphile/graphql';
import { graphqlSchemaPreset } from './preset.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('./schema.graphql', import.meta.url));

/** Introspects the database behind `pool` (migrated, functions and policies applied). */
export async function buildGraphqlSchema(pool: pg.Pool): Promise<GraphQLSchema> {
  return (await makeSchema(graphqlSchemaPreset(pool))).schema;
}

export function sortedSdl(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

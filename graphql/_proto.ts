import pg from 'pg';
import { makeSchema } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';
import { printSchema } from 'postgraphile/graphql';
const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/imgplane_gql_scratch' });
const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  pgServices: [makePgService({ pool, schemas: ['imgplane'], pgSettingsForIntrospection: { role: 'imgplane_admin' } })],
};
const { schema } = await makeSchema(preset);
console.log(printSchema(schema));
await pool.end();

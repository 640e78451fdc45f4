/**
 * The `startsWith` filter as `starts_with(column, prefix)` instead of the connection filter's
 * `column LIKE 'prefix%'`. Under row-level security PostgreSQL runs a caller's condition before
 * the policy's only if it is leakproof, and only then may it become an index condition: `textlike`
 * is not leakproof, `starts_with` is, and its planner support turns it into a range on a
 * text_pattern_ops index (assets_organization_folder_idx). Same name, type and meaning for clients,
 * with no escaping of `%` and `_` needed.
 */
import 'postgraphile-plugin-connection-filter';

export const LeakproofStartsWithPlugin: GraphileConfig.Plugin = {
  name: 'ImgplaneLeakproofStartsWithPlugin',
  description: 'startsWith on strings through the leakproof starts_with(), which RLS lets an index serve.',
  version: '1.0.0',
  schema: {
    hooks: {
      init(_, build) {
        const { sql } = build;
        build.addConnectionFilterOperator('String', 'startsWith', {
          description: 'Starts with the specified string (case-sensitive).',
          resolve: (identifier, value) => sql`starts_with(${identifier}, ${value})`,
        });
        return _;
      },
    },
  },
};

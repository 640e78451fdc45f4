/**
 * `imgplane bootstrap`: creates the platform operator key in the configured database (DATABASE_URL,
 * else the zero-config embedded PostgreSQL) and prints it once. This talks to the database, not to
 * a server: before it there is no key to call the API with.
 */
import type { Command } from 'commander';
import pg from 'pg';
import { ConfigError, loadConfig } from '../../core/config.ts';
import { ImgplaneError } from '../../core/errors.ts';
import { openConfiguredDatabase } from '../../platform/configured-database.ts';
import { bootstrapOperatorKey } from '../../platform/keys/operator-key.ts';
import { action } from '../context.ts';
import { CliError } from '../errors.ts';

export function registerBootstrapCommand(program: Command): void {
  program
    .command('bootstrap')
    .description('create the platform operator key (once), in the database of DATABASE_URL or the embedded one')
    .option('--rotate', 'revoke the existing operator key and make a new one')
    .option('--database-url <url>', 'the database (default: DATABASE_URL, else the embedded PostgreSQL in IMGPLANE_DATA_DIR)')
    .action(
      action(async ({ output }, options: { rotate?: boolean; databaseUrl?: string }) => {
        const config = configFor(options.databaseUrl);
        const database = await openConfiguredDatabase(config, (line) => output.note(line));
        const pool = new pg.Pool({ connectionString: database.url, max: 1 });
        try {
          const key = await bootstrapOperatorKey(pool, { rotate: options.rotate === true }).catch((error: unknown) => {
            throw error instanceof ImgplaneError && error.code === 'forbidden' ? new CliError(error.message) : error;
          });
          output.result({ secret: key.secret, keyId: key.keyId, id: key.id, revoked: key.revoked, database: database.description }, () =>
            [
              `platform operator key for ${database.description}${key.revoked > 0 ? ` (revoked ${key.revoked} older one)` : ''}.`,
              'It is shown this once; store it in your secret manager now:',
              '',
              `  ${key.secret}`,
              '',
              'next:',
              `  export IMGPLANE_API_KEY=${key.secret}`,
              '  imgplane org create <slug>',
            ].join('\n'),
          );
        } finally {
          await pool.end();
          await database.close();
        }
      }),
    );
}

function configFor(databaseUrl: string | undefined) {
  try {
    return loadConfig(databaseUrl === undefined ? process.env : { ...process.env, DATABASE_URL: databaseUrl });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 'bootstrap reads the same environment as `npm start`');
    throw error;
  }
}

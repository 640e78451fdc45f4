/** `npm run db:apply`: migrate DATABASE_URL and re-apply functions and policies (even when their digest matches). */
import { applyDatabase } from './apply.ts';

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined || databaseUrl === '') {
  console.error('DATABASE_URL is not set (for example postgres://postgres@127.0.0.1:5432/imgplane)');
  process.exit(2);
}

try {
  await applyDatabase(databaseUrl, { log: (line) => console.log(line), force: true });
  console.log('database is up to date');
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

/**
 * Imported first by the process entry points (server/main.ts, worker/main.ts), before anything
 * loads Grafast: Grafast reads GRAPHILE_ENV when it is loaded, and otherwise prints a notice and
 * assumes production. Development gets its extra checks; an explicit setting always wins.
 */
process.env.GRAPHILE_ENV ??= process.env.NODE_ENV === 'production' ? 'production' : 'development';

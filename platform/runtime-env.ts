/**
 * Imported first by the long-running process entry points (server/main.ts, worker/main.ts, the
 * bench's server), before anything else loads.
 *
 * Grafast reads GRAPHILE_ENV when it is loaded, and otherwise prints a notice and assumes
 * production. Development gets its extra checks; an explicit setting always wins.
 *
 * V8 counts external memory (the bytes behind Buffers) in its global heap limit, instead of
 * starting a full mark-compact of the whole heap for every 64 MB of Buffers allocated since the
 * last one. A server allocates Buffers by the megabyte (transform results over IPC, Redis and
 * storage writes) and holds a heap of ~80 MB (the GraphQL schema among it), so by default a miss
 * load ran a mark-compact every few hundred milliseconds: half of the server process's CPU per
 * miss (docs/operations.md, Memory). The transform processes do not load this: their heaps are
 * small and their memory is libvips', so there the setting only raised peak memory. (The young
 * generation's size, the other setting there, is on the command line: V8 sizes it only at start.)
 */
import { setFlagsFromString } from 'node:v8';

process.env.GRAPHILE_ENV ??= process.env.NODE_ENV === 'production' ? 'production' : 'development';
setFlagsFromString('--external-memory-accounted-in-global-limit');

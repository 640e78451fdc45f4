/**
 * The references imgplane is compared against, each in its own process like imgplane itself:
 *   bare-bytes  — a bare Fastify route answering fixed bytes (what a memory-cache hit could cost
 *                 at best);
 *   bare-sharp  — a bare Fastify + Sharp server resizing the same original held in memory, with
 *                 the same sharp settings and encoder options (what a miss could cost at best).
 * Prints one JSON line `{ port }` when ready.
 */
import { readFile } from 'node:fs/promises';
import Fastify from 'fastify';
import sharp from 'sharp';
import { configureSharp } from '../../core/pipeline/limiter.ts';
import { DEFAULT_POLICY } from '../../core/policy.ts';

const kind = process.argv[2];
const app = Fastify({ logger: false });

if (kind === 'bare-bytes') {
  const body = await readFile(process.env.BENCH_BYTES ?? '');
  app.get('/bytes', async (_request, reply) => reply.header('content-type', 'image/jpeg').send(body));
} else if (kind === 'bare-sharp') {
  configureSharp();
  const original = await readFile(process.env.BENCH_IMAGE ?? '');
  app.get('/resize/:width', async (request, reply) => {
    const width = Number((request.params as { width: string }).width);
    const data = await sharp(original).autoOrient().resize({ width, withoutEnlargement: true }).jpeg({ quality: DEFAULT_POLICY.quality_jpeg }).toBuffer();
    return reply.header('content-type', 'image/jpeg').send(data);
  });
} else {
  throw new Error(`unknown reference server "${kind}"`);
}
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ port: new URL(address).port }));

/**
 * The reference imgplane is measured against: a bare node:http server (no framework), in its
 * own process like imgplane, doing only the essential work of each scenario:
 *   GET /hit           the same bytes imgplane answers for the hit URL (BENCH_BYTES): what a cache
 *                      hit could cost at best;
 *   GET /resize/<w>    the same original (BENCH_IMAGE) held in memory, resized to <w> wide with the
 *                      same sharp settings and JPEG encoder options as imgplane's defaults: what a
 *                      miss could cost at best.
 * Prints one JSON line `{ "port": ... }` when ready.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import sharp from 'sharp';
import { configureSharp } from '../../core/pipeline/limiter.ts';
import { DEFAULT_POLICY } from '../../core/policy.ts';
import { announce, listenLocally } from './announce.ts';

configureSharp();
const hitBytes = await readFile(process.env.BENCH_BYTES ?? '');
const original = await readFile(process.env.BENCH_IMAGE ?? '');
const RESIZE = /^\/resize\/(\d{1,5})$/;

function send(response: ServerResponse, body: Buffer): void {
  response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
  response.end(body);
}

const server = createServer((request, response) => {
  if (request.url === '/hit') return send(response, hitBytes);
  const width = RESIZE.exec(request.url ?? '')?.[1];
  if (width === undefined) {
    response.writeHead(404).end();
    return;
  }
  sharp(original)
    .autoOrient()
    .resize({ width: Number(width), withoutEnlargement: true })
    // imgplane's default JPEG: the policy's quality, libjpeg-turbo settings, baseline.
    .jpeg({ quality: DEFAULT_POLICY.quality_jpeg, mozjpeg: false, progressive: DEFAULT_POLICY.jpeg_progressive })
    .toBuffer()
    .then(
      (body) => send(response, body),
      () => response.writeHead(500).end(),
    );
});
announce({ port: await listenLocally(server) });

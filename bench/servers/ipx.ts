/**
 * The peer: ipx (the image server of Nuxt Image), pinned in package.json with its sharp
 * overridden to the project's, serving the benchmark original from disk (BENCH_IMAGE's
 * directory) through its own node:http listener. It keeps no variant cache: every request renders.
 * Prints one JSON line `{ "port": ... }` when ready.
 */
import { createServer } from 'node:http';
import path from 'node:path';
import { createIPX, createIPXNodeServer, ipxFSStorage } from 'ipx';
import { announce, listenLocally } from './announce.ts';

const image = process.env.BENCH_IMAGE ?? '';
const ipx = createIPX({ storage: ipxFSStorage({ dir: path.dirname(image) }) });
announce({ port: await listenLocally(createServer(createIPXNodeServer(ipx))), file: path.basename(image) });

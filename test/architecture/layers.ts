/**
 * The layering rule of docs/architecture.md, as data: which top-level folder may import which.
 * `server/`, `graphql/`, `worker/` and `cli/` are shells over `platform/`, which is over `core/`; the
 * shells never import each other, only entry points compose across them, and nothing reaches
 * outside the repository.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

export const LAYERS = ['core', 'platform', 'server', 'graphql', 'worker', 'cli'] as const;
export type Layer = (typeof LAYERS)[number];

/** What each layer's modules may import, besides themselves and npm packages. */
export const ALLOWED: Record<Layer, readonly string[]> = {
  core: [],
  platform: ['core', 'db'],
  server: ['platform', 'core'],
  graphql: ['platform', 'core'],
  worker: ['platform', 'core'],
  cli: ['platform', 'core'],
};

export interface ImportEdge {
  from: string;
  specifier: string;
  to: string;
}

export interface Violation extends ImportEdge {
  reason: string;
}

// Static imports and re-exports (`import … from`, `export … from`, bare `import '…'`) and dynamic `import('…')`.
const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

export function relativeImports(source: string): string[] {
  return [...source.matchAll(IMPORT_PATTERN)].map((match) => match[1]!);
}

function layerOf(relativePath: string): string {
  return relativePath.split(path.sep)[0]!;
}

/** Process entry points: `npm start`, `npm run worker`, `npm run graphql:schema`, `imgplane` (`npm run cli`). */
const ENTRY_POINTS = new Set(['server/main.ts', 'worker/main.ts', 'graphql/export-schema.ts', 'cli/main.ts'].map(path.normalize));

function isEntryPoint(relativePath: string): boolean {
  return ENTRY_POINTS.has(relativePath);
}

function isTest(relativePath: string): boolean {
  return /\.test\.ts$/.test(relativePath) || /[/\\](testing|ops-test-helpers|keyed-lock\.contract)\.ts$/.test(relativePath);
}

/** Every relative import of every non-test .ts file in the layers, as repository-relative paths. */
export async function importGraph(root: string): Promise<ImportEdge[]> {
  const edges: ImportEdge[] = [];
  for (const layer of LAYERS) {
    const entries = await readdir(path.join(root, layer), { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const absolute = path.join(entry.parentPath, entry.name);
      const from = path.relative(root, absolute);
      if (isTest(from)) continue;
      const source = await readFile(absolute, 'utf8');
      for (const specifier of relativeImports(source)) {
        edges.push({ from, specifier, to: path.relative(root, path.resolve(path.dirname(absolute), specifier)) });
      }
    }
  }
  return edges;
}

export function violations(edges: readonly ImportEdge[]): Violation[] {
  const found: Violation[] = [];
  for (const edge of edges) {
    const fromLayer = layerOf(edge.from) as Layer;
    const toLayer = layerOf(edge.to);
    if (toLayer.startsWith('..')) {
      found.push({ ...edge, reason: 'reaches outside the repository' });
    } else if (toLayer !== fromLayer && !isEntryPoint(edge.from) && !ALLOWED[fromLayer].includes(toLayer)) {
      found.push({ ...edge, reason: `${fromLayer}/ may import only ${[fromLayer, ...ALLOWED[fromLayer]].join(', ')}` });
    }
  }
  return found;
}

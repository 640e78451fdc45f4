import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAYERS, importGraph, relativeImports, violations } from './layers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('layers', () => {
  it('has no import against the direction core ← platform ← shells', async () => {
    const edges = await importGraph(ROOT);
    // The graph is real: the shells do reach platform/ and core/.
    expect(edges.some((edge) => edge.from.startsWith('server') && edge.to.startsWith('platform'))).toBe(true);
    expect(edges.some((edge) => edge.from.startsWith('worker') && edge.to.startsWith('platform'))).toBe(true);
    expect(violations(edges)).toEqual([]);
  });

  it('reads static, re-exported, side-effect and dynamic imports', () => {
    const source = [
      "import a from '../a.ts';",
      "import type { B } from './b.ts';",
      "export { c } from '../c.ts';",
      "import '../d.ts';",
      "const e = await import('../e.ts');",
      "import pg from 'pg';",
    ].join('\n');
    expect(relativeImports(source)).toEqual(['../a.ts', './b.ts', '../c.ts', '../d.ts', '../e.ts']);
  });

  it('fails when a shell imports another shell, platform imports a shell or core imports platform', async () => {
    const copy = await mkdtemp(path.join(tmpdir(), 'imgplane-layers-'));
    try {
      for (const layer of LAYERS) await cp(path.join(ROOT, layer), path.join(copy, layer), { recursive: true });
      await writeFile(path.join(copy, 'graphql', 'forbidden.ts'), "export { buildApp } from '../server/app.ts';\n");
      await writeFile(path.join(copy, 'platform', 'forbidden.ts'), "import '../worker/runner.ts';\n");
      await writeFile(path.join(copy, 'core', 'forbidden.ts'), "const p = await import('../platform/platform.ts');\n");
      await writeFile(path.join(copy, 'server', 'forbidden.ts'), "import '../../beside-the-repository/x.ts';\n");
      const found = violations(await importGraph(copy));
      expect(found.map((violation) => violation.from).sort()).toEqual(
        ['core/forbidden.ts', 'graphql/forbidden.ts', 'platform/forbidden.ts', 'server/forbidden.ts'],
      );
      expect(found.find((violation) => violation.from === 'server/forbidden.ts')?.reason).toBe('reaches outside the repository');
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('lets entry points compose across shells', async () => {
    const edges = await importGraph(ROOT);
    expect(edges.some((edge) => edge.from === path.join('server', 'main.ts') && edge.to.startsWith('worker'))).toBe(true);
  });
});

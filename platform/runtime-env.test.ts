/**
 * The garbage-collection setting of platform/runtime-env.ts, which the server and worker entry
 * points import first: Buffers allocated and dropped by the megabyte must not start full
 * mark-compacts of a heap that holds long-lived objects. The probe counts the major collections V8
 * starts for external memory pressure (flagged ALL_EXTERNAL_MEMORY), with and without the setting;
 * a Node upgrade that drops or ignores the V8 flag fails here.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../core/config.ts';

const PROBE = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
let forExternalMemory = 0;
new PerformanceObserver((list) => {
  for (const { detail } of list.getEntries()) {
    if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR && detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY) forExternalMemory += 1;
  }
}).observe({ entryTypes: ['gc'] });
// A server's long-lived heap, then 3 GB of short-lived 1 MB Buffers, one per turn of the loop.
const longLived = Array.from({ length: 1_500_000 }, (_, i) => ({ i, label: 'entry ' + i }));
for (let i = 0; i < 3000; i += 1) {
  Buffer.allocUnsafe(1 << 20).fill(i);
  await new Promise((resolve) => setImmediate(resolve));
}
setTimeout(() => console.log(JSON.stringify({ forExternalMemory, longLived: longLived.length })), 50);
`;

function collectionsForExternalMemory(imports: string[]): number {
  const output = execFileSync(process.execPath, [...imports.flatMap((file) => ['--import', file]), '--input-type=module', '-e', PROBE], { encoding: 'utf8' });
  return (JSON.parse(output) as { forExternalMemory: number }).forExternalMemory;
}

describe('the server and worker garbage-collection setting', () => {
  it('keeps megabytes of short-lived Buffers from starting full collections', () => {
    // Measured here: 16–18 without (every major collection of the run), none with.
    expect(collectionsForExternalMemory([])).toBeGreaterThanOrEqual(5);
    expect(collectionsForExternalMemory([path.join(REPO_ROOT, 'platform', 'runtime-env.ts')])).toBe(0);
  });
});

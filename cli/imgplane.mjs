#!/usr/bin/env node
// The `imgplane` bin. Whatever Node runs this file, the CLI itself runs on the Node the project
// pins (the npm `node` package) with the TypeScript loader, like `npm start`: one small re-exec.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function pinnedNode() {
  try {
    return path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node');
  } catch {
    return process.execPath; // the `node` package is missing: the running Node must do (22 or later)
  }
}

const child = spawn(
  pinnedNode(),
  ['--import', pathToFileURL(path.join(root, 'runtime', 'typescript.mjs')).href, path.join(root, 'cli', 'main.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
// Ctrl-C reaches the child from the terminal itself; a SIGTERM sent to this process is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('error', (error) => {
  console.error(`error: cannot start the CLI: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

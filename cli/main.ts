/**
 * `imgplane` (the package's bin, also `npm run cli -- ...`): the admin CLI. Runs under the
 * TypeScript loader like the other entry points; cli/imgplane.mjs starts it on the pinned Node.
 */
import { describeFailure } from './errors.ts';
import { buildProgram } from './program.ts';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(describeFailure(error));
    process.exitCode = 1;
  });

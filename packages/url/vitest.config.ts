// `npm test -w @imgplane/url`: the package's own tests, no database or services needed.
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['src/**/*.test.ts', 'build-browser.test.ts'] } });

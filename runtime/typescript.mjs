// Loaded with `node --import ./runtime/typescript.mjs`: runs the TypeScript sources directly (tsx as
// a loader, no wrapper process, so signals reach the program itself) with tsconfig.runtime.json.
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../tsconfig.runtime.json', import.meta.url).pathname });

/** Storage hit: registry row plus object storage read, with no memory cache and no Redis. */
import { hitScenario } from '../lib/hit-scenario.ts';

export default hitScenario({ name: 'storage-hit', title: 'storage hit', kind: 'imgplane-storage', layer: 'hit-storage', minimum: 0.15 });

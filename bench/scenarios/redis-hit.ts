/** Redis hit: a variant another instance rendered, on an instance whose memory cache is off. */
import { hitScenario } from '../lib/hit-scenario.ts';

export default hitScenario({ name: 'redis-hit', title: 'Redis hit', kind: 'imgplane-redis', layer: 'hit-redis', minimum: 0.3 });

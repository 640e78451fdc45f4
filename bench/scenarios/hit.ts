/** Memory-cache hit: the hot path of a warm CDN origin. ipx (no cache, renders every time) as the peer. */
import { hitScenario } from '../lib/hit-scenario.ts';

export default hitScenario({
  name: 'hit',
  title: 'memory hit',
  kind: 'imgplane',
  layer: 'hit-memory',
  minimum: 0.8,
  p99Factor: 2,
  peers: ['ipx'],
});

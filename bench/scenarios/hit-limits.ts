/**
 * Memory-cache hits with rate limits enforced against the same server kind without them, in one
 * run: limits apply beyond the memory cache only (platform/limits/limits.ts), so a hit must not
 * pay for them (issue #11: at least 0.95x).
 */
import { hitScenario } from '../lib/hit-scenario.ts';

export default hitScenario({
  name: 'hit-limits',
  title: 'memory hit, rate limits on',
  kind: 'imgplane-limits',
  layer: 'hit-memory',
  minimum: 0.95,
  against: 'imgplane',
});

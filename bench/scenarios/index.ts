/**
 * Every scenario `npm run bench` knows, in the order they run (rss last: it reads the memory
 * high-water marks the others left). Adding one: a module in this folder exporting a Scenario
 * (bench/lib/scenario.ts) as default, and one line here.
 */
import type { Scenario } from '../lib/scenario.ts';
import hit from './hit.ts';
import hitLimits from './hit-limits.ts';
import redisHit from './redis-hit.ts';
import storageHit from './storage-hit.ts';
import miss from './miss.ts';
import stampede from './stampede.ts';
import mixed from './mixed.ts';
import avifFirst from './avif-first.ts';
import rss from './rss.ts';

export const SCENARIOS: readonly Scenario[] = [hit, hitLimits, redisHit, storageHit, miss, stampede, mixed, avifFirst, rss];

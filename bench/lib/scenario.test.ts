import { describe, expect, it } from 'vitest';
import { referenceNotes, steadinessNote } from './scenario.ts';
import type { LoadResult } from './wrk.ts';

const run = (requestsPerSecond: number): LoadResult => ({
  requests: requestsPerSecond * 10,
  requestsPerSecond,
  p50Ms: 1,
  p90Ms: 2,
  p99Ms: 3,
  maxMs: 4,
  errors: 0,
  loadGeneratorCpu: 0.5,
});

describe('steadinessNote', () => {
  it('says nothing when rounds of the same work stay within 20 % of each other', () => {
    // Rounds of the run 2026-12-06T18-47-53: 26,461 / 32,217 / 31,681 req/s (18 % apart).
    expect(steadinessNote('reference', [run(26_461), run(32_217), run(31_681)])).toBeUndefined();
    expect(steadinessNote('reference', [run(30_000)])).toBeUndefined();
  });

  it('warns, with the range, when the machine changed under the same work', () => {
    // Rounds of the run 2026-12-06T19-18-20 (hit with rate limits): 27,098 / 18,404 / 21,543.
    const note = steadinessNote('reference', [run(27_098), run(18_404), run(21_543)]);
    expect(note).toMatch(/^WARNING: the reference's rounds ranged 18404\.0–27098\.0 req\/s \(32 % apart\)/);
  });

  it('comes first among the notes of a scenario with a reference', () => {
    expect(referenceNotes([run(100), run(50)], undefined, 'own')).toEqual([expect.stringMatching(/^WARNING: the reference's/), 'own']);
    expect(referenceNotes([run(100), run(95)], undefined)).toEqual([]);
  });
});

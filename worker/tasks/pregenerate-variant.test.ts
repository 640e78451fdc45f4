import { describe, expect, it } from 'vitest';
import { parsePregenerateJob, pregenerationJobKey } from './pregenerate-variant.ts';

const job = { assetId: '6d1f0f7e-5b7c-4a43-9d7e-0c8a2f1b9e10', version: 2, preset: 'thumb', format: 'webp' as const };

describe('parsePregenerateJob', () => {
  it('accepts a well-formed payload', () => {
    expect(parsePregenerateJob({ ...job })).toEqual(job);
  });

  it('rejects payloads a job cannot act on', () => {
    for (const payload of [null, 'x', {}, { ...job, version: 0 }, { ...job, version: 1.5 }, { ...job, format: 'bmp' }, { ...job, preset: 3 }]) {
      expect(parsePregenerateJob(payload)).toBeUndefined();
    }
  });
});

describe('pregenerationJobKey', () => {
  it('names one variant: the same job gets the same key, any other field a different one', () => {
    const key = pregenerationJobKey(job);
    expect(pregenerationJobKey({ ...job })).toBe(key);
    const others = [{ ...job, version: 3 }, { ...job, preset: 'card' }, { ...job, format: 'jpeg' as const }];
    for (const other of others) expect(pregenerationJobKey(other)).not.toBe(key);
  });
});

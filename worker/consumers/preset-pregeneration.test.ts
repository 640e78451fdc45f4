import { describe, expect, it } from 'vitest';
import { pregenerationFormats } from './preset-pregeneration.ts';

describe('pregenerationFormats', () => {
  it('uses the format a preset names', () => {
    expect(pregenerationFormats({ w: 200, fmt: 'avif' })).toEqual(['avif']);
  });

  it('makes jpeg and webp when the preset names none, or lets Accept decide', () => {
    expect(pregenerationFormats({ w: 200 })).toEqual(['jpeg', 'webp']);
    expect(pregenerationFormats({ w: 200, fmt: 'auto' })).toEqual(['jpeg', 'webp']);
  });

  it('still answers for an invalid preset, whose jobs then report the problem', () => {
    expect(pregenerationFormats({ nonsense: true })).toEqual(['jpeg', 'webp']);
    expect(pregenerationFormats('not an object')).toEqual(['jpeg', 'webp']);
  });
});

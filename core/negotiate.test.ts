import { describe, expect, it } from 'vitest';
import { negotiateFormat, negotiateFormats } from './negotiate.ts';
import { OUTPUT_FORMATS, type OutputFormat } from './policy.ts';

const ALL = [...OUTPUT_FORMATS];
const STILL = { hasAlpha: false, frames: 1 };
const ALPHA = { hasAlpha: true, frames: 1 };
const ANIMATED = { hasAlpha: false, frames: 10 };
const CHROME = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

describe('negotiateFormat', () => {
  it('prefers AVIF when the browser names it', () => {
    expect(negotiateFormat(CHROME, ALL, STILL)).toBe('avif');
    expect(negotiateFormat(CHROME, ALL, ALPHA)).toBe('avif');
  });

  it('falls to WebP when AVIF is not accepted or not allowed', () => {
    expect(negotiateFormat('image/webp,*/*', ALL, STILL)).toBe('webp');
    expect(negotiateFormat(CHROME, ['jpeg', 'webp'], STILL)).toBe('webp');
  });

  it('answers JPEG when neither modern format is accepted', () => {
    expect(negotiateFormat('image/png,image/*;q=0.8,*/*;q=0.5', ALL, STILL)).toBe('jpeg');
    expect(negotiateFormat(undefined, ALL, STILL)).toBe('jpeg');
    expect(negotiateFormat('', ALL, STILL)).toBe('jpeg');
  });

  it('does not read wildcards as support for AVIF or WebP', () => {
    expect(negotiateFormat('*/*', ALL, STILL)).toBe('jpeg');
    expect(negotiateFormat('image/*', ALL, STILL)).toBe('jpeg');
  });

  it('keeps PNG for alpha when neither modern format is accepted', () => {
    expect(negotiateFormat('*/*', ALL, ALPHA)).toBe('png');
    expect(negotiateFormat('image/webp', ALL, ALPHA)).toBe('webp');
  });

  it('treats q=0 as a refusal, even next to a positive listing', () => {
    expect(negotiateFormat('image/avif;q=0,image/webp', ALL, STILL)).toBe('webp');
    expect(negotiateFormat('image/avif;q=0.000,image/webp;q=0', ALL, STILL)).toBe('jpeg');
    expect(negotiateFormat('image/avif,image/avif;q=0', ALL, STILL)).toBe('jpeg');
  });

  it('accepts any positive q and ignores malformed ones', () => {
    expect(negotiateFormat('image/avif;q=0.001', ALL, STILL)).toBe('avif');
    expect(negotiateFormat('image/avif; Q=0.5', ALL, STILL)).toBe('avif');
    expect(negotiateFormat('IMAGE/AVIF', ALL, STILL)).toBe('avif');
    expect(negotiateFormat('image/avif;q=1.5', ALL, STILL)).toBe('jpeg');
    expect(negotiateFormat('image/avif;q=abc,image/webp;level=1;q=0.9', ALL, STILL)).toBe('webp');
  });

  it('keeps animation: WebP when accepted, else GIF, never AVIF', () => {
    expect(negotiateFormat(CHROME, ALL, ANIMATED)).toBe('webp');
    expect(negotiateFormat('image/avif,*/*', ALL, ANIMATED)).toBe('gif');
    expect(negotiateFormat('*/*', ALL, ANIMATED)).toBe('gif');
  });

  it('falls back to still formats when animated output is not allowed', () => {
    expect(negotiateFormat('image/avif', ['jpeg', 'avif'], ANIMATED)).toBe('avif');
    expect(negotiateFormat('*/*', ['jpeg', 'png'], ANIMATED)).toBe('jpeg');
  });

  it('answers an allowed format even when the client accepts none of them', () => {
    expect(negotiateFormat('*/*', ['avif'], STILL)).toBe('avif');
    expect(negotiateFormat('*/*', ['webp', 'png'], STILL)).toBe('png');
    expect(negotiateFormat('image/webp', ['gif'], ALPHA)).toBe('gif');
  });
});

describe('negotiateFormats', () => {
  it('lists what the client takes after the best: WebP after AVIF, then the universal formats', () => {
    expect(negotiateFormats(CHROME, ALL, STILL).slice(0, 3)).toEqual(['avif', 'webp', 'jpeg']);
    expect(negotiateFormats('image/avif,*/*', ALL, STILL).slice(0, 2)).toEqual(['avif', 'jpeg']);
    expect(negotiateFormats('image/avif,image/webp', ALL, ALPHA).slice(0, 3)).toEqual(['avif', 'webp', 'png']);
  });

  it('names each allowed format once, only allowed ones, starting with negotiateFormat', () => {
    for (const accept of [CHROME, 'image/webp', undefined]) {
      for (const allowed of [ALL, ['webp', 'avif'], ['png']] as OutputFormat[][]) {
        const formats = negotiateFormats(accept, allowed, STILL);
        expect(formats[0]).toBe(negotiateFormat(accept, allowed, STILL));
        expect(new Set(formats).size).toBe(formats.length);
        expect(formats.every((format) => allowed.includes(format))).toBe(true);
      }
    }
  });
});

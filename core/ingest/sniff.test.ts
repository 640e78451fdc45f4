import { describe, expect, it } from 'vitest';
import { corpusFile } from '../pipeline/testing.ts';
import { looksLikeSvg, sniffMimeType } from './sniff.ts';

describe('looksLikeSvg', () => {
  it.each([
    ['a bare root', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['an XML declaration first', '<?xml version="1.0" encoding="UTF-8"?>\n<svg>'],
    ['a BOM and whitespace', '\uFEFF  \n<svg width="1">'],
    ['comments and a DOCTYPE with an internal subset', '<?xml version="1.0"?><!-- a --><!DOCTYPE svg [ <!ENTITY e "x"> ]>\n<!-- b --><svg>'],
    ['an upper-case root', '<SVG>'],
  ])('recognises %s', (_, head) => {
    expect(looksLikeSvg(head)).toBe(true);
  });

  it.each([
    ['HTML embedding an SVG', '<html><body><svg></svg></body></html>'],
    ['another XML root', '<?xml version="1.0"?><feed><svg/></feed>'],
    ['a longer element name', '<svgfoo>'],
    ['plain text mentioning svg', 'hello <svg>'],
  ])('rejects %s', (_, head) => {
    expect(looksLikeSvg(head)).toBe(false);
  });

  it('answers quickly on a hostile run of unterminated comments', () => {
    const startedAt = performance.now();
    expect(looksLikeSvg('<!--'.repeat(1_000))).toBe(false);
    expect(performance.now() - startedAt).toBeLessThan(200);
  });
});

describe('sniffMimeType', () => {
  it('reads binary types from magic bytes and SVG from its root element', async () => {
    expect(await sniffMimeType(corpusFile('sdr_cosmos12920_cicp1-13-6_yuv444_full_qp10.avif'))).toBe('image/avif');
    expect(await sniffMimeType(corpusFile('G31D.TIF'))).toBe('image/tiff');
    expect(await sniffMimeType(corpusFile('circle.svg'))).toBe('image/svg+xml');
    expect(await sniffMimeType(corpusFile('struct-image-04-t.svg'))).toBe('image/svg+xml');
    expect(await sniffMimeType(corpusFile('README.md'))).toBeUndefined();
  });
});

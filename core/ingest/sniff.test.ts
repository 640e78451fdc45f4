import { describe, expect, it } from 'vitest';
import { corpusFile } from '../pipeline/testing.ts';
import { looksLikeSvg, sniffMimeType } from './sniff.ts';

describe('looksLikeSvg', () => {
  it.each([
    ['a bare root', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['an XML declaration first', '<?xml version="1.0" encoding="UTF-8"?>\n<svg>'],
    ['a BOM and whitespace', '\uFEFF  \n<svg width="1">'],
    ['comments and a DOCTYPE with an internal subset', '<?xml version="1.0"?><!-- a --><!DOCTYPE svg [ <!ENTITY e "x"> ]>\n<!-- b --><svg>'],
    ['a bracket inside a quoted entity value', `<!DOCTYPE svg [ <!ENTITY e "a]b"> <!ENTITY f 'c]'> ]><svg>`],
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

  // The sniffer reads at most 4 KiB, so hostile heads of that size are what matter. No clock: the
  // first pattern backtracked exponentially on a few dozen terminated comments, and on these this
  // file simply never finished (which is how that was found). Each head is also checked with a
  // root after it, so a case cannot pass by being rejected for a trivial reason.
  const hostile = (unit: string) => unit.repeat(Math.floor(4_096 / unit.length));
  it.each([
    ['unterminated comments', hostile('<!--'), false],
    ['terminated comments', hostile('<!-- a -->'), true],
    ['comments of dashes', hostile('<!-- - -->'), true],
    ['unterminated internal subsets', hostile('<!DOCTYPE svg ['), false],
    ['empty internal subsets', hostile('<!DOCTYPE x []>'), true],
    ['subsets with quoted brackets', hostile(`<!DOCTYPE x [ <!ENTITY e "]"> ]>`), true],
  ])('rejects a 4 KiB run of %s without a root, and accepts one followed by <svg> only when it is well-formed', (_, head, wellFormed) => {
    expect(looksLikeSvg(head)).toBe(false);
    expect(looksLikeSvg(`${head}<svg>`)).toBe(wellFormed);
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

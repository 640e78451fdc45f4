import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { imageUrl, widthSrcset, type ImageRef } from '../src/index.ts';
import { ImgplaneImage } from '../src/react.ts';

const REF: ImageRef = { org: 'acme', tenant: 'website', space: 'media', assetId: '0b8a5a3e-6f1c-4c1e-9a51-3f0c1d2e4b5a', version: 2 };

/** Attribute values of the first `<tag ...>` in the markup (entities decoded). */
function attributes(markup: string, tag: string): Record<string, string> {
  const element = new RegExp(`<${tag}\\b([^>]*)>`).exec(markup)?.[1] ?? '';
  return Object.fromEntries([...element.matchAll(/([a-zA-Z-]+)="([^"]*)"/g)].map(([, name, value]) => [name!.toLowerCase(), value!.replaceAll('&amp;', '&')]));
}

describe('<ImgplaneImage>', () => {
  it('renders an img with a canonical src, width srcset and sizes, passing other props through', () => {
    const markup = renderToStaticMarkup(
      createElement(ImgplaneImage, { image: REF, ops: { width: 800, format: 'auto' }, widths: [400, 800], sizes: '50vw', alt: 'A hero', loading: 'lazy' }),
    );
    expect(attributes(markup, 'img')).toEqual({
      alt: 'A hero',
      loading: 'lazy',
      src: imageUrl(REF, { width: 800, format: 'auto' }),
      srcset: widthSrcset(REF, [400, 800], { ops: { format: 'auto' } }),
      sizes: '50vw',
    });
    expect(markup).not.toContain('<picture');
  });

  it('accepts an asset URL and writes density candidates', () => {
    const markup = renderToStaticMarkup(
      createElement(ImgplaneImage, { image: `https://cdn.example.com${imageUrl(REF)}`, ops: { width: 200 }, densities: [1, 2], alt: '' }),
    );
    const img = attributes(markup, 'img');
    expect(img.src).toBe(`https://cdn.example.com${imageUrl(REF, { width: 200 })}`);
    expect(img.srcset).toBe(`${img.src} 1x, https://cdn.example.com${imageUrl(REF, { width: 200, dpr: 2 })} 2x`);
    expect(img).not.toHaveProperty('sizes');
  });

  it('renders a picture with one source per art-directed rule before the fallback img', () => {
    const markup = renderToStaticMarkup(
      createElement(ImgplaneImage, {
        image: REF,
        ops: { format: 'auto' },
        sources: [{ media: '(max-width: 600px)', ops: { height: 600, fit: 'cover' }, widths: [600], sizes: '100vw' }],
        alt: '',
      }),
    );
    expect(markup).toMatch(/^<picture><source [^>]*\/?><img [^>]*\/?><\/picture>$/);
    expect(attributes(markup, 'source')).toEqual({
      media: '(max-width: 600px)',
      srcset: widthSrcset(REF, [600], { ops: { format: 'auto', height: 600, fit: 'cover' } }),
      sizes: '100vw',
    });
  });

  it('throws the grammar error for operations the server would refuse', () => {
    expect(() => renderToStaticMarkup(createElement(ImgplaneImage, { image: REF, ops: { width: -1 }, alt: '' }))).toThrow(/w must be/);
  });
});

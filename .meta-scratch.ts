import sharp from 'sharp';
import { readdirSync } from 'node:fs';
const dir = '/work/shared/corpus';
for (const f of readdirSync(dir).sort()) {
  if (f.endsWith('.md')) continue;
  try {
    const m = await sharp(`${dir}/${f}`, { animated: true, limitInputPixels: false }).metadata();
    console.log(f, m.format, m.width, m.height, m.pageHeight, m.pages, m.orientation, m.space, m.channels, m.depth, m.hasAlpha, m.hasProfile);
  } catch (e) { console.log(f, 'ERR', (e as Error).message); }
}

// The demo page's script: fetches the seeded demo's session, then builds every image URL with the
// browser build of @imgplane/url (served at /demo/imgplane-url.js, the same grammar as the server).
import { densitySrcset, imageRefFromUrl, imageUrl, sizes, widthSrcset } from './imgplane-url.js';

/** What Chromium sends for <img>: asking with it shows the format the <img> got. */
const IMAGE_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

const status = document.getElementById('status');

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/** Format and size of what an image element shows, read back from the server (same Accept, cached). */
async function describe(img) {
  await img.decode().catch(() => {});
  const response = await fetch(img.currentSrc, { method: 'HEAD', headers: { accept: IMAGE_ACCEPT } });
  const format = (response.headers.get('content-type') ?? '?').replace('image/', '');
  const bytes = Number(response.headers.get('content-length') ?? 0);
  img.dataset.format = format;
  return `${format} · ${(bytes / 1024).toFixed(1)} KB · ${img.naturalWidth}×${img.naturalHeight}`;
}

/** A figure showing `shown` (`img` itself, or the <picture> around it), captioned with what `img` was delivered. */
function captioned(img, label, shown = img) {
  const caption = element('figcaption', {}, [label]);
  const figure = element('figure', {}, [shown, caption]);
  const update = () => describe(img).then((text) => { caption.textContent = `${label}: ${text}`; });
  if (img.complete && img.naturalWidth > 0) update();
  else img.addEventListener('load', update, { once: true });
  img.addEventListener('error', () => { caption.textContent = `${label}: failed to load`; caption.className = 'error'; });
  return figure;
}

function showSample(ref) {
  const narrow = { height: 480, fit: 'cover', format: 'auto' };
  const wide = { width: 640, format: 'auto' };
  const picture = element('picture', {}, [
    element('source', { media: '(max-width: 640px)', srcset: widthSrcset(ref, [320, 480, 640], { ops: narrow }), sizes: sizes([], '100vw') }),
    element('img', {
      src: imageUrl(ref, wide),
      srcset: densitySrcset(ref, [1, 1.5, 2], { ops: wide }),
      width: 640,
      height: 400,
      alt: 'The demo picture, resized for this screen',
      'data-role': 'sample',
    }),
  ]);
  const img = picture.querySelector('img');
  document.getElementById('sample-figure').replaceWith(captioned(img, 'delivered', picture));
  document.getElementById('sample-code').textContent = [
    "import { densitySrcset, imageUrl, widthSrcset } from '@imgplane/url';",
    `imageUrl(ref, ${JSON.stringify(wide)})`,
    `  → ${imageUrl(ref, wide)}`,
    `densitySrcset(ref, [1, 1.5, 2], { ops: ${JSON.stringify(wide)} })`,
    `  → ${densitySrcset(ref, [1, 1.5, 2], { ops: wide })}`,
  ].join('\n');
}

function showPresets(ref, presets) {
  const grid = document.getElementById('preset-grid');
  for (const preset of presets) {
    const img = element('img', { src: imageUrl(ref, { presets: [preset.name], format: 'auto' }), alt: `preset ${preset.name}`, 'data-role': 'preset' });
    grid.append(captioned(img, `preset_${preset.name} ${JSON.stringify(preset.operations)}`));
  }
}

function showPrivate(privateImage) {
  const img = element('img', { src: privateImage.url, alt: 'A private picture through a signed URL', 'data-role': 'private' });
  const expires = new Date(privateImage.expiresAt * 1000).toLocaleTimeString();
  document.getElementById('private-figure').replaceWith(captioned(img, `signed until ${expires}`));
}

function setUpUpload(session) {
  const input = document.getElementById('upload-file');
  const progress = document.getElementById('upload-progress');
  const output = document.getElementById('upload-status');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append('file', file);
    form.append('tags', 'demo-page');
    // XMLHttpRequest, not fetch: only it reports upload progress.
    const request = new XMLHttpRequest();
    request.open('POST', `/v1/spaces/${session.spaceId}/assets`);
    request.setRequestHeader('x-api-key', session.uploadKey);
    request.responseType = 'json';
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener('load', () => {
      const body = request.response ?? {};
      if (request.status !== 200 && request.status !== 201) {
        output.textContent = `Upload refused (${request.status}): ${body.message ?? 'no details'}`;
        output.className = 'error';
        return;
      }
      progress.value = 100;
      output.className = '';
      output.textContent = `${request.status === 201 ? 'Uploaded' : 'Already there'}: ${body.originalFilename} (${body.width}×${body.height} ${body.format}, id ${body.id})`;
      output.dataset.assetId = body.id;
      const ref = imageRefFromUrl(body.urls.original);
      const img = element('img', {
        src: imageUrl(ref, { width: 480, format: 'auto' }),
        srcset: widthSrcset(ref, [240, 480, 960], { ops: { format: 'auto' } }),
        sizes: sizes([{ media: '(max-width: 600px)', size: '100vw' }], '480px'),
        alt: `uploaded ${body.originalFilename}`,
        'data-role': 'uploaded',
      });
      document.getElementById('upload-figure').replaceChildren(captioned(img, 'your upload'));
    });
    request.addEventListener('error', () => { output.textContent = 'Upload failed: the server did not answer'; output.className = 'error'; });
    progress.value = 0;
    output.textContent = `Uploading ${file.name}…`;
    request.send(form);
  });
}

async function main() {
  const response = await fetch('/demo/session.json');
  const session = await response.json();
  if (!response.ok) {
    status.textContent = `${session.message ?? 'No demo data.'} The links above still work.`;
    return;
  }
  const ref = imageRefFromUrl(session.sample.url);
  showSample(ref);
  showPresets(ref, session.presets);
  showPrivate(session.privateImage);
  setUpUpload(session);
  for (const section of document.querySelectorAll('section')) section.hidden = false;
  status.textContent = `Demo space ${ref.org}/${ref.tenant}/${ref.space}, asset ${ref.assetId}.`;
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  status.textContent = `The demo failed to start: ${error.message}`;
  status.className = 'error';
});

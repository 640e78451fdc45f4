/**
 * `fmt_auto`: the output format from the `Accept` header, the formats the policy allows, and what
 * the source needs (alpha, animation).
 *
 * Only an explicit, positive media type counts as support for a modern format: browsers that
 * decode AVIF or WebP name them (`image/avif,image/webp,...`), while the wildcard ranges (any
 * type, `image/*`) are also sent by clients that decode neither. JPEG and PNG are universal fallbacks and are chosen whatever
 * Accept says: answering 406 to an <img> tag helps nobody.
 */
import type { OutputFormat } from './policy.ts';

export interface NegotiationSource {
  hasAlpha: boolean;
  frames: number;
}

/** RFC 9110 qvalue: 0 to 1 with at most three decimals. */
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The image subtypes the client names explicitly with q > 0. A type listed several times counts
 * only if no listing refuses it (q=0), the conservative reading of an ambiguous header. Entries
 * with a malformed q are ignored rather than guessed at.
 */
function explicitlyAcceptedImageTypes(accept: string): Set<string> {
  const accepted = new Set<string>();
  const refused = new Set<string>();
  for (const entry of accept.split(',')) {
    const [range = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (!range.startsWith('image/')) continue;
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam === undefined ? '1' : qParam.slice(2);
    if (!QVALUE.test(q)) continue;
    (Number(q) > 0 ? accepted : refused).add(range.slice('image/'.length));
  }
  for (const subtype of refused) accepted.delete(subtype);
  return accepted;
}

/** Used when nothing preferred is allowed: the most widely decodable formats first. */
const FALLBACK_ORDER: readonly OutputFormat[] = ['jpeg', 'png', 'gif', 'webp', 'avif'];

export function negotiateFormat(
  accept: string | undefined,
  allowed: readonly OutputFormat[],
  source: NegotiationSource,
): OutputFormat {
  return negotiateFormats(accept, allowed, source)[0] ?? allowed[0] ?? 'jpeg';
}

/**
 * The allowed formats in the order negotiateFormat would pick them, each one the answer were the
 * ones before it unavailable: the second is what a first response gets while the first is still
 * being rendered. Modern formats the client did not name come only after every universal one.
 */
export function negotiateFormats(
  accept: string | undefined,
  allowed: readonly OutputFormat[],
  source: NegotiationSource,
): OutputFormat[] {
  const accepted = explicitlyAcceptedImageTypes(accept ?? '');
  const preferences: OutputFormat[] = [];
  // AVIF animation is not produced, so an animated source goes to the best format that animates.
  if (source.frames > 1) {
    if (accepted.has('webp')) preferences.push('webp');
    preferences.push('gif');
  }
  if (accepted.has('avif')) preferences.push('avif');
  if (accepted.has('webp')) preferences.push('webp');
  // PNG keeps transparency that JPEG would flatten.
  preferences.push(source.hasAlpha ? 'png' : 'jpeg', ...FALLBACK_ORDER);
  return [...new Set(preferences)].filter((format) => allowed.includes(format));
}

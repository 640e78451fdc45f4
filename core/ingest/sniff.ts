/**
 * The real type of an uploaded file, from its bytes. `file-type` knows the binary formats; SVG is
 * XML text, so it gets its own sniff of the document's root element.
 */
import { open } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';

export const SVG_MIME = 'image/svg+xml';

/** Enough to get past an XML declaration, comments and a DOCTYPE to the root element. */
const SVG_SNIFF_BYTES = 4096;

/**
 * Optional BOM, XML declaration, comments and DOCTYPE (with an internal subset), then `<svg`.
 * Matching stays linear on hostile input because every prefix has one parse only: each repetition
 * starts with a distinct literal, a comment cannot run past its first `-->` (its body never holds
 * `--`, as XML requires) and an internal subset not past its first `]` outside quotes. A lazy
 * `[\s\S]*?` there could also span several comments, and a 4 KiB run of `<!-- a -->` then took
 * exponential time to reject.
 */
const SVG_ROOT =
  /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--(?:[^-]|-[^-])*-->|<!DOCTYPE[^>[]*(?:\[(?:[^\]"']|"[^"]*"|'[^']*')*\])?\s*>)\s*)*<svg[\s/>]/i;

/** The sniffed MIME type, or undefined when the bytes match no known type. */
export async function sniffMimeType(filePath: string): Promise<string | undefined> {
  const detected = await fileTypeFromFile(filePath);
  // file-type reports XML-declared SVG as generic XML and bare `<svg` files as nothing at all.
  if (detected === undefined || detected.mime === 'application/xml') {
    if (looksLikeSvg(await readHead(filePath, SVG_SNIFF_BYTES))) return SVG_MIME;
  }
  return detected?.mime;
}

export function looksLikeSvg(head: string): boolean {
  return SVG_ROOT.test(head);
}

async function readHead(filePath: string, bytes: number): Promise<string> {
  const file = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}

import path from 'node:path';

/** The media types a stored document may have: what its bytes are, never what the client said. */
export enum DocumentMediaType {
  Pdf = 'application/pdf',
  Jpeg = 'image/jpeg',
  Png = 'image/png',
}

/** Bytes read from the start of an upload while it streams: enough for every signature below. */
export const SNIFF_BYTES = 16;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PDF_SIGNATURE = Buffer.from('%PDF-', 'latin1');
const JPEG_SIGNATURE = Buffer.from([0xff, 0xd8, 0xff]);

/** The type the first bytes of a file prove (PDF `%PDF-`, JPEG FF D8 FF, the PNG signature), else null. */
export function sniffDocumentType(head: Buffer): DocumentMediaType | null {
  const startsWith = (signature: Buffer) =>
    head.length >= signature.length && head.subarray(0, signature.length).equals(signature);
  if (startsWith(PDF_SIGNATURE)) return DocumentMediaType.Pdf;
  if (startsWith(PNG_SIGNATURE)) return DocumentMediaType.Png;
  if (startsWith(JPEG_SIGNATURE)) return DocumentMediaType.Jpeg;
  return null;
}

/** File extensions (lower case, with the dot) that name each type; the first is used when a name has none. */
export const DOCUMENT_EXTENSIONS: Record<DocumentMediaType, readonly string[]> = {
  [DocumentMediaType.Pdf]: ['.pdf'],
  [DocumentMediaType.Jpeg]: ['.jpg', '.jpeg'],
  [DocumentMediaType.Png]: ['.png'],
};

/** Declared part types that say nothing about the content (a client that did not know). */
const UNDECLARED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/**
 * What the client declared that disagrees with the sniffed type: the part's Content-Type (unless it is
 * generic) and the file name's extension (when it has one). Empty when both agree.
 */
export function declaredMismatches(
  sniffed: DocumentMediaType,
  declaredType: string | undefined,
  originalName: string | undefined,
): string[] {
  const problems: string[] = [];
  const declared = (declaredType ?? '').split(';')[0]!.trim().toLowerCase();
  const declaredAs =
    declared === 'image/jpg' || declared === 'image/pjpeg' ? 'image/jpeg' : declared;
  if (!UNDECLARED.has(declaredAs) && declaredAs !== String(sniffed))
    problems.push(`declared as ${declared.slice(0, 80)}`);
  const extension = path.extname(originalName ?? '').toLowerCase();
  if (extension && !DOCUMENT_EXTENSIONS[sniffed].includes(extension))
    problems.push(`named ${extension.slice(0, 20)}`);
  return problems;
}

/**
 * A client's file name made safe to store and to give back in Content-Disposition: the last path segment,
 * letters, digits, space, dot, dash, underscore and brackets only, at most 120 characters, ending in an
 * extension of the sniffed type (added when missing).
 */
export function sanitiseDocumentName(
  originalName: string | undefined,
  type: DocumentMediaType,
): string {
  const last = (originalName ?? '').split(/[\\/]/).pop() ?? '';
  let name = last
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._()-]+/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[ .]+|[ .]+$/g, '');
  const extension = path.extname(name).toLowerCase();
  const known = DOCUMENT_EXTENSIONS[type];
  let base = known.includes(extension) ? name.slice(0, name.length - extension.length) : name;
  base = base.replace(/[ .]+$/g, '') || 'document';
  const ext = known.includes(extension) ? extension : known[0]!;
  name = `${[...base].slice(0, 120 - ext.length).join('')}${ext}`;
  return name;
}

/** Content-Disposition for a download: an ASCII fallback name plus the UTF-8 name (RFC 6266 / 8187). */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

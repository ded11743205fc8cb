/**
 * A PDF of page images: each page is one JPEG drawn over the whole page (PDF 1.4, DCTDecode).
 * This is how the report goes into a DICOM Encapsulated PDF: the browser's print dialog cannot be
 * captured by the page, so the app renders the same report pages it prints into images (the
 * report's own DOM and styles, see ui/components/report/rasterize.ts) and wraps them here. The
 * writer is small and fully checked (tests/unit/report/pdf.test.ts, and poppler in the browser
 * test): a header, one object per catalogue, page tree, page, content stream and image, a
 * cross-reference table with exact byte offsets, and a trailer.
 */

export interface PdfPageImage {
  /** Baseline JPEG bytes (what canvas.toBlob('image/jpeg') gives). */
  jpeg: Uint8Array;
  widthPx: number;
  heightPx: number;
}

export interface PdfOptions {
  /** Page size in points (1/72 inch): A4 595.28 × 841.89, Letter 612 × 792. */
  widthPt: number;
  heightPt: number;
  title: string;
  /** Creation date written into the document information. */
  created?: Date;
}

export const PAGE_SIZES_PT = {
  a4: { widthPt: (210 / 25.4) * 72, heightPt: (297 / 25.4) * 72 },
  letter: { widthPt: 612, heightPt: 792 },
} as const;

const enc = new TextEncoder();

/** A PDF text string: UTF-16BE with a byte-order mark, as hex, so any language is safe. */
function pdfText(s: string): string {
  let hex = 'FEFF';
  for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase();
  return `<${hex}>`;
}

function pdfDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `(D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z)`;
}

/** True when the bytes start like a JPEG (SOI marker followed by another marker). */
export function isJpeg(b: Uint8Array): boolean {
  return b.length > 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

export function imagesToPdf(pages: PdfPageImage[], opts: PdfOptions): Uint8Array {
  if (pages.length === 0) throw new Error('A PDF needs at least one page.');
  const w = opts.widthPt.toFixed(2);
  const h = opts.heightPt.toFixed(2);
  const chunks: Uint8Array[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (b: Uint8Array | string) => {
    const bytes = typeof b === 'string' ? enc.encode(b) : b;
    chunks.push(bytes);
    length += bytes.length;
  };
  const object = (n: number, body: (string | Uint8Array)[]) => {
    offsets[n] = length;
    push(`${n} 0 obj\n`);
    for (const b of body) push(b);
    push('\nendobj\n');
  };
  // Objects: 1 catalogue, 2 page tree, 3 info, then per page: page, content, image.
  const pageObj = (i: number) => 4 + i * 3;
  push('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n');
  object(1, ['<< /Type /Catalog /Pages 2 0 R >>']);
  object(2, [`<< /Type /Pages /Count ${pages.length} /Kids [${pages.map((_, i) => `${pageObj(i)} 0 R`).join(' ')}] >>`]);
  object(3, [`<< /Title ${pdfText(opts.title)} /Producer (LymphScope) /CreationDate ${pdfDate(opts.created ?? new Date())} >>`]);
  pages.forEach((p, i) => {
    if (!isJpeg(p.jpeg)) throw new Error(`Page ${i + 1} is not a JPEG image.`);
    const n = pageObj(i);
    object(n, [
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Im0 ${n + 2} 0 R >> >> /Contents ${n + 1} 0 R >>`,
    ]);
    const content = `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`;
    object(n + 1, [`<< /Length ${content.length} >>\nstream\n${content}\nendstream`]);
    object(n + 2, [
      `<< /Type /XObject /Subtype /Image /Width ${p.widthPx} /Height ${p.heightPx} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${p.jpeg.length} >>\nstream\n`,
      p.jpeg,
      '\nendstream',
    ]);
  });
  const count = 4 + pages.length * 3;
  const xref = length;
  push(`xref\n0 ${count}\n0000000000 65535 f \n`);
  for (let n = 1; n < count; n++) push(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size ${count} /Root 1 0 R /Info 3 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

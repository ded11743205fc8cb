/**
 * Identifies an image file by its bytes, not its name, and reads its pixel size from the container
 * without decoding — so a renamed PDF, an empty file or a truncated upload gets a precise message,
 * a huge image can be downscaled during decode instead of after, and a decompression bomb is refused
 * before the browser allocates anything. A file whose size cannot be read is refused ('no-size'):
 * the decoder would find the size where this parser did not, and then allocate whatever it says.
 */

export type ImageKind = 'png' | 'jpeg' | 'bmp' | 'webp';

export type SniffProblem = 'empty' | 'pdf' | 'text' | 'unsupported' | 'truncated' | 'no-size';

export type SniffResult =
  { ok: true; kind: ImageKind; width: number; height: number } | { ok: false; problem: SniffProblem; detail?: string };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(b: Uint8Array, sig: number[], at = 0): boolean {
  return b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
}

function ascii(b: Uint8Array, at: number, len: number): string {
  return String.fromCharCode(...b.subarray(at, at + len));
}

function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
function u16be(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}
function u16le(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
function i32le(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

/** PNG: IHDR gives the size; the stream must end with an IEND chunk or it was cut short. */
function sniffPng(b: Uint8Array): SniffResult {
  if (b.length < 33 || ascii(b, 12, 4) !== 'IHDR') return { ok: false, problem: 'truncated', detail: 'PNG header incomplete' };
  const tail = b.subarray(Math.max(0, b.length - 64));
  const text = ascii(tail, 0, tail.length);
  if (!text.includes('IEND')) return { ok: false, problem: 'truncated', detail: 'PNG has no end marker' };
  return { ok: true, kind: 'png', width: u32be(b, 16), height: u32be(b, 20) };
}

/** Markers that carry the frame size: SOF0–SOF15 (not DHT C4, JPG C8, DAC CC) and DHP (hierarchical). */
const isSizeMarker = (m: number) => (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xde;
/** Markers without a length field. */
const isStandalone = (m: number) => m === 0x01 || m === 0xd8 || (m >= 0xd0 && m <= 0xd7);

/**
 * JPEG: walk the marker segments up to the start of scan, as libjpeg does — bytes that are not a
 * marker are skipped over to the next 0xFF, not taken as the end of the headers (that was the bomb:
 * one junk byte hid the frame header from this parser but not from the decoder). Every frame
 * header before the scan counts; the largest size wins. Null: no frame header (refused).
 */
export function jpegSize(b: Uint8Array): { width: number; height: number } | 'damaged' | null {
  let width = 0;
  let height = 0;
  let i = 2;
  for (;;) {
    while (i < b.length && b[i] !== 0xff) i++; // junk between segments
    while (i < b.length && b[i] === 0xff) i++; // fill bytes
    if (i >= b.length) break;
    const marker = b[i++]!;
    if (marker === 0x00 || isStandalone(marker)) continue;
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or start of scan: headers are over
    if (i + 2 > b.length) break;
    const len = u16be(b, i);
    if (len < 2) return 'damaged';
    if (isSizeMarker(marker)) {
      if (i + 7 > b.length) break;
      height = Math.max(height, u16be(b, i + 3));
      width = Math.max(width, u16be(b, i + 5));
    }
    i += len;
  }
  // A height of 0 defers it to a DNL marker after the scan, which browsers' decoders do not support.
  return width > 0 && height > 0 ? { width, height } : null;
}

function sniffJpeg(b: Uint8Array): SniffResult {
  const size = jpegSize(b);
  // Some encoders append bytes after EOI, so look for it near the end rather than at the very end.
  const tail = b.subarray(Math.max(0, b.length - 4096));
  let hasEoi = false;
  for (let j = tail.length - 2; j >= 0; j--) {
    if (tail[j] === 0xff && tail[j + 1] === 0xd9) {
      hasEoi = true;
      break;
    }
  }
  if (!hasEoi) return { ok: false, problem: 'truncated', detail: 'JPEG has no end-of-image marker' };
  if (size === 'damaged') return { ok: false, problem: 'no-size', detail: 'JPEG segment length is damaged' };
  if (!size) return { ok: false, problem: 'no-size', detail: 'JPEG has no frame header' };
  return { ok: true, kind: 'jpeg', ...size };
}

/** BMP: the core header (OS/2 1.x, 12 bytes) has 16-bit sizes; every later header 32-bit signed ones. */
function sniffBmp(b: Uint8Array): SniffResult {
  if (b.length < 26) return { ok: false, problem: 'truncated', detail: 'BMP header incomplete' };
  const declared = u32le(b, 2);
  if (declared > b.length) return { ok: false, problem: 'truncated', detail: 'BMP shorter than its header says' };
  const headerSize = u32le(b, 14);
  if (headerSize === 12) return { ok: true, kind: 'bmp', width: u16le(b, 18), height: u16le(b, 20) };
  if (headerSize < 16) return { ok: false, problem: 'no-size', detail: 'BMP header size unknown' };
  return { ok: true, kind: 'bmp', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
}

/** WebP: the size is in the first chunk — VP8X (canvas), VP8 (key frame header) or VP8L (lossless header). */
function sniffWebp(b: Uint8Array): SniffResult {
  const declared = u32le(b, 4);
  if (declared + 8 > b.length) return { ok: false, problem: 'truncated', detail: 'WebP shorter than its header says' };
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X' && b.length >= 30) {
    const w = 1 + (b[24]! | (b[25]! << 8) | (b[26]! << 16));
    const h = 1 + (b[27]! | (b[28]! << 8) | (b[29]! << 16));
    return { ok: true, kind: 'webp', width: w, height: h };
  }
  // VP8: 3-byte frame tag, then the key frame start code 9D 01 2A, then 14-bit width and height.
  if (chunk === 'VP8 ' && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a)
    return { ok: true, kind: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  // VP8L: signature byte 0x2F, then 14-bit width − 1 and height − 1.
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = u32le(b, 21);
    return { ok: true, kind: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return { ok: false, problem: 'no-size', detail: `WebP without a readable ${chunk.trim() || 'image'} header` };
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 512);
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 0xc2) printable++;
  }
  return n > 0 && printable / n > 0.95;
}

export function sniffImage(bytes: Uint8Array): SniffResult {
  if (bytes.length === 0) return { ok: false, problem: 'empty' };
  if (startsWith(bytes, PNG_SIGNATURE)) return sniffPng(bytes);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return sniffJpeg(bytes);
  if (startsWith(bytes, [0x42, 0x4d])) return sniffBmp(bytes);
  if (bytes.length >= 16 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return sniffWebp(bytes);
  if (ascii(bytes, 0, 5) === '%PDF-') return { ok: false, problem: 'pdf' };
  if (bytes.length >= 132 && ascii(bytes, 128, 4) === 'DICM') return { ok: false, problem: 'unsupported', detail: 'DICOM' };
  if (looksLikeText(bytes)) return { ok: false, problem: 'text' };
  return { ok: false, problem: 'unsupported' };
}

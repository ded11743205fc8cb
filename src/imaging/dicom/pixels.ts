/**
 * Turns one frame of a DICOM image into RGBA pixels (uncompressed syntaxes), or hands back the
 * frame's JPEG stream for the browser to decode (encapsulated JPEG baseline).
 */

import * as dicomParserNs from 'dicom-parser';
import { ImageInputError } from '../errors';
import type { RgbaImage } from '../resize';
import type { DicomImage } from './parse';

type DicomParserModule = typeof dicomParserNs;
const dicomParser: DicomParserModule = (dicomParserNs as unknown as { default?: DicomParserModule }).default ?? dicomParserNs;

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Bytes one uncompressed frame occupies. */
export function nativeFrameBytes(img: DicomImage): number {
  const n = img.rows * img.columns;
  if (img.photometric === 'YBR_FULL_422') return n * 2;
  return n * img.samplesPerPixel * (img.bitsAllocated / 8);
}

function checkFrameIndex(img: DicomImage, frame: number, name: string): void {
  if (!Number.isInteger(frame) || frame < 0 || frame >= img.frames)
    throw new ImageInputError('dicom-damaged', name, `frame ${frame + 1} of ${img.frames} does not exist`);
}

/** YCbCr (full range, ITU-R BT.601 as DICOM defines YBR_FULL) to RGB. */
function ybrToRgb(out: Uint8ClampedArray, o: number, y: number, cb: number, cr: number): void {
  out[o] = clamp8(y + 1.402 * (cr - 128));
  out[o + 1] = clamp8(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
  out[o + 2] = clamp8(y + 1.772 * (cb - 128));
  out[o + 3] = 255;
}

function grayToRgba(out: Uint8ClampedArray, o: number, g: number): void {
  out[o] = g;
  out[o + 1] = g;
  out[o + 2] = g;
  out[o + 3] = 255;
}

/** Reads grayscale samples (8 or 16 bit, signed or not) and maps them to 0–255. */
function monochrome(img: DicomImage, b: Uint8Array, start: number): Uint8ClampedArray {
  const n = img.rows * img.columns;
  const out = new Uint8ClampedArray(n * 4);
  const invert = img.photometric === 'MONOCHROME1';
  if (
    img.bitsAllocated === 8 &&
    img.bitsStored >= 8 &&
    (img.rescaleSlope || 1) === 1 &&
    img.rescaleIntercept === 0 &&
    img.windowWidth === null
  ) {
    // 8-bit ultrasound, the usual case: stored values are display values.
    for (let i = 0; i < n; i++) {
      grayToRgba(out, i * 4, invert ? 255 - b[start + i]! : b[start + i]!);
    }
    return out;
  }
  const values = new Float32Array(n);
  if (img.bitsAllocated === 8) {
    const mask = img.bitsStored >= 8 ? 0xff : (1 << img.bitsStored) - 1;
    for (let i = 0; i < n; i++) values[i] = b[start + i]! & mask;
  } else {
    const mask = img.bitsStored >= 16 ? 0xffff : (1 << img.bitsStored) - 1;
    const sign = 1 << (img.bitsStored - 1);
    for (let i = 0; i < n; i++) {
      const p = start + i * 2;
      let v = (img.littleEndian ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!) & mask;
      if (img.pixelRepresentation === 1 && v & sign) v -= mask + 1;
      values[i] = v;
    }
  }
  const slope = img.rescaleSlope || 1;
  const intercept = img.rescaleIntercept;
  let lo: number;
  let hi: number;
  if (img.bitsAllocated === 8 && slope === 1 && intercept === 0 && img.windowWidth === null) {
    // 8-bit ultrasound: the stored values are the display values.
    lo = 0;
    hi = img.bitsStored >= 8 ? 255 : (1 << img.bitsStored) - 1;
  } else if (img.windowCenter !== null && img.windowWidth !== null && img.windowWidth >= 1) {
    lo = img.windowCenter - 0.5 - (img.windowWidth - 1) / 2;
    hi = img.windowCenter - 0.5 + (img.windowWidth - 1) / 2;
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = values[i]! * slope + intercept;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const range = hi > lo ? hi - lo : 1;
  for (let i = 0; i < n; i++) {
    const v = values[i]! * slope + intercept;
    let g = clamp8(((v - lo) / range) * 255);
    if (invert) g = 255 - g;
    grayToRgba(out, i * 4, g);
  }
  return out;
}

function palette(img: DicomImage, b: Uint8Array, start: number): Uint8ClampedArray {
  const n = img.rows * img.columns;
  const out = new Uint8ClampedArray(n * 4);
  const [r, g, bl] = img.palette!;
  const lookup = (lut: typeof r, v: number): number => lut.values[Math.min(Math.max(v - lut.first, 0), lut.count - 1)]!;
  for (let i = 0; i < n; i++) {
    const p = start + i * (img.bitsAllocated / 8);
    const v = img.bitsAllocated === 8 ? b[p]! : img.littleEndian ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!;
    const o = i * 4;
    out[o] = lookup(r, v);
    out[o + 1] = lookup(g, v);
    out[o + 2] = lookup(bl, v);
    out[o + 3] = 255;
  }
  return out;
}

function colour(img: DicomImage, b: Uint8Array, start: number): Uint8ClampedArray {
  const n = img.rows * img.columns;
  const out = new Uint8ClampedArray(n * 4);
  const w = img.columns;
  const bytes = img.bitsAllocated / 8;
  const sample =
    bytes === 1
      ? (i: number) => b[start + i]!
      : (i: number) => {
          const p = start + i * 2;
          const v = img.littleEndian ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!;
          return v >> Math.max(0, img.bitsStored - 8);
        };
  const planar = img.planarConfiguration === 1;
  if (img.photometric === 'YBR_FULL_422') {
    // Two horizontally adjacent pixels share one Cb and one Cr.
    const half = Math.ceil(w / 2);
    for (let y = 0; y < img.rows; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        let Y: number, cb: number, cr: number;
        if (planar) {
          const c = y * half + (x >> 1);
          Y = b[start + i]!;
          cb = b[start + n + c]!;
          cr = b[start + n + half * img.rows + c]!;
        } else {
          const pair = start + (y * w + (x & ~1)) * 2;
          Y = b[pair + (x & 1)]!;
          cb = b[pair + 2]!;
          cr = b[pair + 3]!;
        }
        ybrToRgb(out, i * 4, Y, cb, cr);
      }
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const c0 = planar ? sample(i) : sample(i * 3);
    const c1 = planar ? sample(n + i) : sample(i * 3 + 1);
    const c2 = planar ? sample(2 * n + i) : sample(i * 3 + 2);
    const o = i * 4;
    if (img.photometric === 'RGB') {
      out[o] = c0;
      out[o + 1] = c1;
      out[o + 2] = c2;
      out[o + 3] = 255;
    } else ybrToRgb(out, o, c0, c1, c2);
  }
  return out;
}

/** RGBA pixels of one frame of an uncompressed DICOM image. */
export function decodeNativeFrame(img: DicomImage, frame: number, name: string): RgbaImage {
  checkFrameIndex(img, frame, name);
  const size = nativeFrameBytes(img);
  const el = img.pixelElement;
  const bytes = img.dataSet.byteArray as Uint8Array;
  const start = el.dataOffset + frame * size;
  const declaredEnd = el.dataOffset + Math.max(el.length, 0);
  if (start + size > bytes.length || start + size > declaredEnd)
    throw new ImageInputError(
      'truncated',
      name,
      `pixel data holds ${Math.max(0, Math.min(bytes.length, declaredEnd) - el.dataOffset)} bytes, frame ${frame + 1} needs ${start + size - el.dataOffset}`,
    );
  let data: Uint8ClampedArray;
  if (img.photometric.startsWith('MONOCHROME')) data = monochrome(img, bytes, start);
  else if (img.photometric === 'PALETTE COLOR') data = palette(img, bytes, start);
  else data = colour(img, bytes, start);
  return { width: img.columns, height: img.rows, data };
}

/** The bytes of one frame of encapsulated pixel data (all its fragments joined). */
function encapsulatedBytes(img: DicomImage, frame: number, name: string): Uint8Array {
  checkFrameIndex(img, frame, name);
  const el = img.pixelElement;
  const fragments = el.fragments ?? [];
  if (fragments.length === 0) throw new ImageInputError('dicom-damaged', name, 'encapsulated pixel data has no fragments');
  let out: Uint8Array;
  try {
    if (img.frames === 1) {
      out = dicomParser.readEncapsulatedPixelDataFromFragments(img.dataSet, el, 0, fragments.length) as Uint8Array;
    } else {
      const table =
        el.basicOffsetTable && el.basicOffsetTable.length === img.frames
          ? el.basicOffsetTable
          : dicomParser.createJPEGBasicOffsetTable(img.dataSet, el);
      out = dicomParser.readEncapsulatedImageFrame(img.dataSet, el, frame, table) as Uint8Array;
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImageInputError('dicom-damaged', name, msg.slice(0, 160));
  }
  return out;
}

/** The JPEG stream of one frame of an encapsulated image, for the browser's decoder. */
export function encapsulatedFrame(img: DicomImage, frame: number, name: string): Uint8Array {
  const out = encapsulatedBytes(img, frame, name);
  if (out.length < 4 || out[0] !== 0xff || out[1] !== 0xd8)
    throw new ImageInputError('dicom-damaged', name, `frame ${frame + 1} is not a JPEG stream`);
  return out;
}

/** PackBits, as DICOM RLE segments use it; stops at `out`'s end. Returns the bytes written. */
function unpackBits(src: Uint8Array, from: number, to: number, out: Uint8Array): number {
  let i = from;
  let o = 0;
  while (i < to && o < out.length) {
    const n = (src[i++]! << 24) >> 24;
    if (n >= 0) {
      const len = Math.min(n + 1, to - i, out.length - o);
      out.set(src.subarray(i, i + len), o);
      i += n + 1;
      o += len;
    } else if (n !== -128) {
      const len = Math.min(1 - n, out.length - o);
      if (i >= to) break;
      out.fill(src[i++]!, o, o + len);
      o += len;
    }
  }
  return o;
}

/** RGBA pixels of one frame of an RLE Lossless image (one segment per sample byte, most significant first). */
export function decodeRleFrame(img: DicomImage, frame: number, name: string): RgbaImage {
  const data = encapsulatedBytes(img, frame, name);
  if (data.length < 64) throw new ImageInputError('dicom-damaged', name, 'RLE frame shorter than its header');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const segments = dv.getUint32(0, true);
  const bytes = img.bitsAllocated / 8;
  const expected = img.samplesPerPixel * bytes;
  if (segments !== expected)
    throw new ImageInputError('dicom-damaged', name, `RLE frame has ${segments} segments, ${expected} expected`);
  const n = img.rows * img.columns;
  const planar = new Uint8Array(n * expected);
  const seg = new Uint8Array(n);
  for (let k = 0; k < segments; k++) {
    const from = dv.getUint32(4 + 4 * k, true);
    const to = k + 1 < segments ? dv.getUint32(8 + 4 * k, true) : data.length;
    if (from < 64 || to > data.length || to < from)
      throw new ImageInputError('dicom-damaged', name, `RLE segment ${k + 1} lies outside the frame`);
    seg.fill(0);
    const got = unpackBits(data, from, to, seg);
    if (got < n) throw new ImageInputError('truncated', name, `RLE segment ${k + 1} holds ${got} of ${n} samples`);
    const sample = Math.floor(k / bytes);
    if (bytes === 1) planar.set(seg, sample * n);
    else {
      // 16-bit: segment 0 is the high byte; store little endian.
      const hi = k % 2 === 0;
      for (let p = 0; p < n; p++) planar[(sample * n + p) * 2 + (hi ? 1 : 0)] = seg[p]!;
    }
  }
  const flat: DicomImage = { ...img, planarConfiguration: 1, littleEndian: true };
  let out: Uint8ClampedArray;
  if (img.photometric.startsWith('MONOCHROME')) out = monochrome(flat, planar, 0);
  else if (img.photometric === 'PALETTE COLOR') out = palette(flat, planar, 0);
  else out = colour(flat, planar, 0);
  return { width: img.columns, height: img.rows, data: out };
}

export type DicomFrame = { kind: 'pixels'; image: RgbaImage } | { kind: 'jpeg'; bytes: Uint8Array };

/** One frame, as pixels when TS can read them or as a JPEG stream for the browser. */
export function dicomFrame(img: DicomImage, frame: number, name: string): DicomFrame {
  if (img.compression === 'jpeg') return { kind: 'jpeg', bytes: encapsulatedFrame(img, frame, name) };
  if (img.compression === 'rle') return { kind: 'pixels', image: decodeRleFrame(img, frame, name) };
  return { kind: 'pixels', image: decodeNativeFrame(img, frame, name) };
}

/**
 * JPEG re-encoding of a screenshot, in memory: what a baseline JPEG encoder followed by a decoder
 * does to the pixels (JFIF YCbCr, 4:2:0 chroma subsampling, 8 × 8 DCT, quantisation with the
 * standard tables of ITU-T T.81 Annex K scaled by quality as libjpeg does, dequantisation, inverse
 * DCT). Archived ultrasound frames are mostly JPEGs, so the blocking, ringing and colour bleeding
 * belong in the simulated ones. No bitstream is written (entropy coding is lossless and does not
 * change the pixels), which keeps this small and free of dependencies.
 */

import type { RgbaImage } from '../../imaging';
import { reusableFloat32 } from '../pool';

const LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112,
  100, 103, 99,
];
const CHROMA = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/** libjpeg's jpeg_quality_scaling and table scaling (baseline: entries limited to 1..255). */
export function quantTable(base: readonly number[], quality: number): Float32Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
  return Float32Array.from(base, (v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

let cosTable: Float64Array | null = null;

/** c(u)·cos((2x+1)uπ/16)/2 for u, x in 0..7: the orthonormal 8-point DCT-II matrix. */
function dctMatrix(): Float64Array {
  if (cosTable) return cosTable;
  const m = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    const c = u === 0 ? Math.SQRT1_2 : 1;
    for (let x = 0; x < 8; x++) m[u * 8 + x] = (c / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  cosTable = m;
  return m;
}

/**
 * 8-point DCT-II of in[off + k·stride] into out (same layout), even/odd split: the matrix is
 * symmetric (even rows) or antisymmetric (odd rows) about its centre, so 32 multiplications, not 64.
 */
function dct8(m: Float64Array, src: Float64Array, so: number, ss: number, dst: Float64Array, d0: number, ds: number): void {
  const e0 = src[so]! + src[so + 7 * ss]!;
  const e1 = src[so + ss]! + src[so + 6 * ss]!;
  const e2 = src[so + 2 * ss]! + src[so + 5 * ss]!;
  const e3 = src[so + 3 * ss]! + src[so + 4 * ss]!;
  const o0 = src[so]! - src[so + 7 * ss]!;
  const o1 = src[so + ss]! - src[so + 6 * ss]!;
  const o2 = src[so + 2 * ss]! - src[so + 5 * ss]!;
  const o3 = src[so + 3 * ss]! - src[so + 4 * ss]!;
  for (let u = 0; u < 8; u += 2) dst[d0 + u * ds] = m[u * 8]! * e0 + m[u * 8 + 1]! * e1 + m[u * 8 + 2]! * e2 + m[u * 8 + 3]! * e3;
  for (let u = 1; u < 8; u += 2) dst[d0 + u * ds] = m[u * 8]! * o0 + m[u * 8 + 1]! * o1 + m[u * 8 + 2]! * o2 + m[u * 8 + 3]! * o3;
}

/** Inverse of dct8 (the transpose), with the same even/odd split. */
function idct8(m: Float64Array, src: Float64Array, so: number, ss: number, dst: Float64Array, d0: number, ds: number): void {
  const c0 = src[so]!;
  const c1 = src[so + ss]!;
  const c2 = src[so + 2 * ss]!;
  const c3 = src[so + 3 * ss]!;
  const c4 = src[so + 4 * ss]!;
  const c5 = src[so + 5 * ss]!;
  const c6 = src[so + 6 * ss]!;
  const c7 = src[so + 7 * ss]!;
  for (let x = 0; x < 4; x++) {
    const even = m[x]! * c0 + m[16 + x]! * c2 + m[32 + x]! * c4 + m[48 + x]! * c6;
    const odd = m[8 + x]! * c1 + m[24 + x]! * c3 + m[40 + x]! * c5 + m[56 + x]! * c7;
    dst[d0 + x * ds] = even + odd;
    dst[d0 + (7 - x) * ds] = even - odd;
  }
}

/** Quantises the DCT of one 8 × 8 block and reconstructs it, in place. */
function roundTripBlock(block: Float64Array, q: Float32Array, inv: Float64Array, tmp: Float64Array): void {
  const m = dctMatrix();
  for (let y = 0; y < 8; y++) dct8(m, block, y * 8, 1, tmp, y * 8, 1); // rows
  for (let u = 0; u < 8; u++) dct8(m, tmp, u, 8, block, u, 8); // columns
  let nonzero = 0;
  for (let k = 0; k < 64; k++) {
    block[k] = Math.round(block[k]! * inv[k]!) * q[k]!;
    if (block[k] !== 0) nonzero++;
  }
  if (nonzero === 0) return;
  for (let u = 0; u < 8; u++) idct8(m, block, u, 8, tmp, u, 8); // columns
  for (let y = 0; y < 8; y++) idct8(m, tmp, y * 8, 1, block, y * 8, 1); // rows
}

/** Runs one plane (w × h, values level-shifted) through the block round trip, in place. */
function roundTripPlane(plane: Float32Array, w: number, h: number, q: Float32Array): void {
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  // Multiplying by the reciprocal is the encoder's usual shortcut for the division.
  const inv = Float64Array.from(q, (v) => 1 / v);
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      // Edge blocks repeat the last row/column, as encoders pad.
      let constant = true;
      const first = plane[by * w + bx]!;
      const inside = bx + 8 <= w && by + 8 <= h;
      for (let y = 0; y < 8; y++) {
        const row = (inside ? by + y : Math.min(h - 1, by + y)) * w;
        for (let x = 0; x < 8; x++) {
          const v = plane[row + (inside ? bx + x : Math.min(w - 1, bx + x))]!;
          block[y * 8 + x] = v;
          if (v !== first) constant = false;
        }
      }
      // A flat block (screen background) has only a DC coefficient, 8 × its value: skip the transforms.
      if (constant) block.fill((Math.round((8 * block[0]!) / q[0]!) * q[0]!) / 8);
      else roundTripBlock(block, q, inv, tmp);
      for (let y = 0; y < 8 && by + y < h; y++) {
        for (let x = 0; x < 8 && bx + x < w; x++) plane[(by + y) * w + bx + x] = block[y * 8 + x]!;
      }
    }
  }
}

/** Re-encodes the image as a JPEG of the given quality would, in place. */
export function jpegRoundTrip(img: RgbaImage, quality: number): void {
  const { width: w, height: h, data } = img;
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  // Working planes, reused between images (zeroed where they accumulate).
  const Y = reusableFloat32('v2.jpeg.y', w * h);
  const Cb = reusableFloat32('v2.jpeg.cb', cw * ch, true);
  const Cr = reusableFloat32('v2.jpeg.cr', cw * ch, true);
  for (let y = 0; y < h; y++) {
    const crow = (y >> 1) * cw;
    for (let x = 0, o = y * w * 4; x < w; x++, o += 4) {
      const r = data[o]!;
      const g = data[o + 1]!;
      const b = data[o + 2]!;
      Y[y * w + x] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
      const c = crow + (x >> 1);
      Cb[c] = Cb[c]! - 0.168736 * r - 0.331264 * g + 0.5 * b;
      Cr[c] = Cr[c]! + 0.5 * r - 0.418688 * g - 0.081312 * b;
    }
  }
  // Chroma is the mean of each 2 × 2 group (fewer pixels in a last odd row or column).
  for (let cy = 0; cy < ch; cy++) {
    const ny = 2 * cy + 1 < h ? 2 : 1;
    for (let cx = 0; cx < cw; cx++) {
      const c = cy * cw + cx;
      const count = ny * (2 * cx + 1 < w ? 2 : 1);
      Cb[c] = Cb[c]! / count;
      Cr[c] = Cr[c]! / count;
    }
  }
  roundTripPlane(Y, w, h, quantTable(LUMA, quality));
  const qc = quantTable(CHROMA, quality);
  roundTripPlane(Cb, cw, ch, qc);
  roundTripPlane(Cr, cw, ch, qc);
  for (let y = 0; y < h; y++) {
    const crow = (y >> 1) * cw;
    for (let x = 0, o = y * w * 4; x < w; x++, o += 4) {
      const yy = Y[y * w + x]! + 128;
      const c = crow + (x >> 1);
      const cb = Cb[c]!;
      const cr = Cr[c]!;
      data[o] = toByte(yy + 1.402 * cr);
      data[o + 1] = toByte(yy - 0.344136 * cb - 0.714136 * cr);
      data[o + 2] = toByte(yy + 1.772 * cb);
    }
  }
}

/** Math.round then clamp to 0..255, without the clamped-array store doing half of it. */
function toByte(v: number): number {
  return v < 0 ? 0 : v >= 254.5 ? 255 : (v + 0.5) | 0;
}

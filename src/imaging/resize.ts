/**
 * Pillow-compatible bilinear resize with antialiasing, on 8-bit RGBA pixels.
 *
 * Training resizes with Pillow (`Image.resize(size, BILINEAR)`, which torchvision's `Resize` calls),
 * so the app must feed the network the very same numbers. This reproduces Pillow's separable
 * triangle filter — support widened by the downscale factor, fixed-point coefficients, rounding to
 * 8 bits after each pass, horizontal pass first — so results match Pillow exactly.
 */

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major. */
  data: Uint8ClampedArray | Uint8Array;
}

const PRECISION_BITS = 32 - 8 - 2;

interface Coefficients {
  /** First input index contributing to each output index. */
  start: Int32Array;
  /** Number of contributing input pixels for each output index. */
  count: Int32Array;
  /** Fixed-point weights, `taps` per output index. */
  weights: Int32Array;
  taps: number;
}

function bilinear(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support is 1, widened when downscaling
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const pre = new Float64Array(taps);
  const inv = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // Pillow truncates toward zero here (C cast); arguments are >= -0.5 so Math.trunc matches.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bilinear((x + xmin - center + 0.5) * inv);
      pre[x] = w;
      total += w;
    }
    for (let x = 0; x < taps; x++) {
      const w = x < xmax && total !== 0 ? pre[x]! / total : 0;
      weights[xx * taps + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, taps };
}

function clip8(v: number): number {
  // Pillow shifts a 32-bit accumulator; values here stay well inside double precision.
  const r = Math.floor(v / (1 << PRECISION_BITS));
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

function resizeHorizontal(src: RgbaImage, outWidth: number): RgbaImage {
  const { start, count, weights, taps } = coefficients(src.width, outWidth);
  const out = new Uint8ClampedArray(outWidth * src.height * 4);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width * 4;
    for (let xx = 0; xx < outWidth; xx++) {
      let r = half,
        g = half,
        b = half,
        a = half;
      const s = start[xx]!;
      const n = count[xx]!;
      for (let x = 0; x < n; x++) {
        const k = weights[xx * taps + x]!;
        const p = row + (s + x) * 4;
        r += src.data[p]! * k;
        g += src.data[p + 1]! * k;
        b += src.data[p + 2]! * k;
        a += src.data[p + 3]! * k;
      }
      const o = (y * outWidth + xx) * 4;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
      out[o + 3] = clip8(a);
    }
  }
  return { width: outWidth, height: src.height, data: out };
}

function resizeVertical(src: RgbaImage, outHeight: number): RgbaImage {
  const { start, count, weights, taps } = coefficients(src.height, outHeight);
  const w = src.width;
  const out = new Uint8ClampedArray(w * outHeight * 4);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outHeight; yy++) {
    const s = start[yy]!;
    const n = count[yy]!;
    for (let x = 0; x < w; x++) {
      let r = half,
        g = half,
        b = half,
        a = half;
      for (let y = 0; y < n; y++) {
        const k = weights[yy * taps + y]!;
        const p = ((s + y) * w + x) * 4;
        r += src.data[p]! * k;
        g += src.data[p + 1]! * k;
        b += src.data[p + 2]! * k;
        a += src.data[p + 3]! * k;
      }
      const o = (yy * w + x) * 4;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
      out[o + 3] = clip8(a);
    }
  }
  return { width: w, height: outHeight, data: out };
}

/** Resizes like Pillow's `Image.resize((width, height), Image.BILINEAR)`. */
export function resizeBilinearAntialias(src: RgbaImage, width: number, height: number): RgbaImage {
  let img = src;
  if (img.width !== width) img = resizeHorizontal(img, width);
  if (img.height !== height) img = resizeVertical(img, height);
  return img;
}

/**
 * Texture statistics of the luminance of a (resized) crop, which the input gate reads after the
 * colour statistics and which a second out-of-distribution distance reads alone
 * (docs/input-checks.md). Why: a photograph whose pooled features land near ultrasound still differs
 * in its luminance statistics: ultrasound is speckle (a local standard deviation proportional to the
 * local mean, fine grain, few flat regions, gray or vividly coloured pixels but hardly any tinted
 * gray), a photograph is smooth regions and edges with a few dominant orientations.
 * The same arithmetic as training/input_gate.py `texture_features`, in this order.
 */

import type { RgbaImage } from './resize';

export { TEXTURE_FEATURES } from '../model-pack';

/** Block side of the local statistics. */
const BLOCK = 8;
/** Luminance under which a pixel or a block counts as dark. */
const DARK_LUM = 16;
/** Block standard deviation under which a block is flat (blank, text background, artwork). */
const FLAT_STD = 2;
/** Gradient magnitude above which a pixel's orientation counts. */
const EDGE_MAG = 4;
/** Chroma above which a pixel is tinted (up to the colour threshold). */
const TINT_MIN = 8;

function entropy(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total <= 0) return 0;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) h -= (c / total) * Math.log(c / total);
  }
  return h;
}

/** The lower q-quantile of sorted values (index ⌊q·(n − 1)⌋), as the Python does. */
function quantile(sorted: Float64Array, q: number): number {
  return sorted.length ? sorted[Math.floor(q * (sorted.length - 1))]! : 0;
}

function luminance(img: RgbaImage): Float64Array {
  const n = img.width * img.height;
  const lum = new Float64Array(n);
  for (let i = 0; i < n; i++) lum[i] = 0.299 * img.data[i * 4]! + 0.587 * img.data[i * 4 + 1]! + 0.114 * img.data[i * 4 + 2]!;
  return lum;
}

/** Mean and (population) standard deviation of the block statistics; the right and bottom remainder is left out. */
function blockStats(lum: Float64Array, w: number, h: number): { mean: Float64Array; std: Float64Array } {
  const bh = Math.floor(h / BLOCK);
  const bw = Math.floor(w / BLOCK);
  const mean = new Float64Array(bh * bw);
  const std = new Float64Array(bh * bw);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let s = 0;
      for (let y = 0; y < BLOCK; y++) for (let x = 0; x < BLOCK; x++) s += lum[(by * BLOCK + y) * w + bx * BLOCK + x]!;
      const m = s / (BLOCK * BLOCK);
      let v = 0;
      for (let y = 0; y < BLOCK; y++) {
        for (let x = 0; x < BLOCK; x++) {
          const d = lum[(by * BLOCK + y) * w + bx * BLOCK + x]! - m;
          v += d * d;
        }
      }
      mean[by * bw + bx] = m;
      std[by * bw + bx] = Math.sqrt(v / (BLOCK * BLOCK));
    }
  }
  return { mean, std };
}

/** Gradient statistics on forward differences: mean |dx|, mean |dy|, structure-tensor coherence, orientation entropy. */
function gradientStats(lum: Float64Array, w: number, h: number) {
  let adx = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x + 1 < w; x++) adx += Math.abs(lum[y * w + x + 1]! - lum[y * w + x]!);
  let ady = 0;
  for (let y = 0; y + 1 < h; y++) for (let x = 0; x < w; x++) ady += Math.abs(lum[(y + 1) * w + x]! - lum[y * w + x]!);
  adx = w > 1 ? adx / (h * (w - 1)) : 0;
  ady = h > 1 ? ady / ((h - 1) * w) : 0;
  // Structure tensor and orientations on the (h − 1) × (w − 1) interior.
  let jxx = 0;
  let jyy = 0;
  let jxy = 0;
  const hist = new Float64Array(8);
  const count = (h - 1) * (w - 1);
  for (let y = 0; y + 1 < h; y++) {
    for (let x = 0; x + 1 < w; x++) {
      const gx = lum[y * w + x + 1]! - lum[y * w + x]!;
      const gy = lum[(y + 1) * w + x]! - lum[y * w + x]!;
      jxx += gx * gx;
      jyy += gy * gy;
      jxy += gx * gy;
      const mag = Math.sqrt(gx * gx + gy * gy);
      if (mag > EDGE_MAG) {
        // Orientation modulo π (numpy's mod): an edge and its reverse are the same orientation.
        let t = Math.atan2(gy, gx);
        if (t < 0) t += Math.PI;
        if (t >= Math.PI) t -= Math.PI;
        hist[Math.min(Math.floor((t / Math.PI) * 8), 7)]! += mag;
      }
    }
  }
  if (count > 0) {
    jxx /= count;
    jyy /= count;
    jxy /= count;
  }
  const coherence = Math.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / (jxx + jyy + 1e-9);
  return { adx, ady, coherence, orientation: entropy(hist) / Math.log(8) };
}

/** In TEXTURE_FEATURES order; shares are square-rooted like the colour statistics. */
export function textureFeatures(img: RgbaImage, chromaMin: number): number[] {
  const { width: w, height: h } = img;
  const n = w * h;
  const lum = luminance(img);
  let sum = 0;
  let dark = 0;
  let tinted = 0;
  const lumHist = new Float64Array(32);
  for (let i = 0; i < n; i++) {
    const l = lum[i]!;
    sum += l;
    if (l < DARK_LUM) dark++;
    lumHist[Math.min(Math.floor(l / 8), 31)]!++;
    const r = img.data[i * 4]!;
    const g = img.data[i * 4 + 1]!;
    const b = img.data[i * 4 + 2]!;
    const chroma = Math.max(r, g, b) - Math.min(r, g, b);
    if (chroma > TINT_MIN && chroma <= chromaMin) tinted++;
  }
  const mean = sum / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (lum[i]! - mean) ** 2;
  const std = Math.sqrt(v / n);

  const blocks = blockStats(lum, w, h);
  const cvs: number[] = [];
  let flat = 0;
  for (let k = 0; k < blocks.mean.length; k++) {
    if (blocks.std[k]! < FLAT_STD) flat++;
    if (blocks.mean[k]! >= DARK_LUM) cvs.push(blocks.std[k]! / blocks.mean[k]!);
  }
  const cv = Float64Array.from(cvs).sort();
  const flatShare = blocks.mean.length ? flat / blocks.mean.length : 0;
  const g = gradientStats(lum, w, h);
  return [
    mean / 255,
    std / 255,
    Math.sqrt(dark / n),
    Math.sqrt(flatShare),
    quantile(cv, 0.5),
    quantile(cv, 0.75) - quantile(cv, 0.25),
    (g.adx + g.ady) / 2 / (std + 1),
    (g.ady - g.adx) / (g.adx + g.ady + 1e-9),
    g.coherence,
    g.orientation,
    Math.sqrt(tinted / n),
    entropy(lumHist) / Math.log(32),
  ];
}

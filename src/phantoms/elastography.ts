/**
 * Strain elastography: under a quasi-static compression from the probe, axial strain is roughly
 * stress / Young's modulus; the stress spreads and decays with depth, the displacement estimator
 * averages over a window and adds noise, and the display normalises strain to the mean inside the
 * elastography box (as real-time tissue elastography does), coloured red (soft) → green → blue (hard).
 */

import { pxFromMm } from './layout';
import { nodeBounds } from './node-shape';
import { boxBlur, smoothNoise } from './noise';
import type { Rng } from './rng';
import type { Scene } from './scene';

export interface ElastoBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function elastoBoxFor(scene: Scene, rng: Rng): ElastoBox {
  const nb = nodeBounds(scene.shape, 0);
  // Alam et al. scored with the box covering the node and plenty of surrounding tissue.
  const mx = Math.max(pxFromMm(4), (nb.x1 - nb.x0) * rng.uniform(0.4, 0.8));
  const my = Math.max(pxFromMm(3), (nb.y1 - nb.y0) * rng.uniform(0.35, 0.7));
  return {
    x0: Math.max(2, Math.round(nb.x0 - mx)),
    x1: Math.min(scene.width - 3, Math.round(nb.x1 + mx)),
    y0: Math.max(pxFromMm(2.5), Math.round(nb.y0 - my)),
    y1: Math.min(scene.height - 3, Math.round(nb.y1 + my)),
  };
}

/** Relative strain over the box (1 = box mean), row-major, (x1 - x0 + 1) × (y1 - y0 + 1). */
export function relativeStrain(scene: Scene, box: ElastoBox, rng: Rng): Float32Array {
  const { width, height, stiffness } = scene;
  const blur = Math.round(pxFromMm(rng.uniform(0.8, 1.6)));
  // Work on the box plus the blur margin only; the rest of the field is never shown in colour.
  const wx0 = Math.max(0, box.x0 - blur);
  const wy0 = Math.max(0, box.y0 - blur);
  const ww = Math.min(width, box.x1 + blur + 1) - wx0;
  const wh = Math.min(height, box.y1 + blur + 1) - wy0;
  const strain = new Float32Array(ww * wh);
  for (let y = 0; y < wh; y++) {
    // Stress decays with depth under a finite-width compressor.
    const stress = 1 / (1 + (y + wy0) / pxFromMm(25));
    for (let x = 0; x < ww; x++) strain[y * ww + x] = stress / stiffness[(y + wy0) * width + x + wx0]!;
  }
  // Windowed displacement estimation blurs strain over roughly a millimetre or two.
  boxBlur(strain, ww, wh, blur);
  const noise = smoothNoise(rng, ww, wh, pxFromMm(1.5));
  const noiseLevel = rng.uniform(0.12, 0.3);
  let sum = 0;
  let count = 0;
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) {
      const j = (y - wy0) * ww + (x - wx0);
      strain[j] = strain[j]! * Math.exp(noiseLevel * noise[j]!);
      sum += strain[j];
      count++;
    }
  }
  const mean = sum / Math.max(1, count);
  const bw = box.x1 - box.x0 + 1;
  const out = new Float32Array(bw * (box.y1 - box.y0 + 1));
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) out[(y - box.y0) * bw + (x - box.x0)] = strain[(y - wy0) * ww + (x - wx0)]! / mean;
  }
  return out;
}

/** Position on the colour scale, 0 = hard (blue) … 1 = soft (red), for a relative strain. */
export function strainScalePosition(rel: number): number {
  const t = 0.5 + Math.log2(rel) / 3.2;
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

const STOPS: [number, [number, number, number]][] = [
  [0, [10, 20, 190]],
  [0.25, [20, 110, 235]],
  [0.45, [30, 200, 90]],
  [0.6, [80, 220, 40]],
  [0.8, [235, 210, 30]],
  [1, [225, 30, 25]],
];

export function strainColour(t: number): [number, number, number] {
  for (let k = 1; k < STOPS.length; k++) {
    const [t1, c1] = STOPS[k]!;
    if (t <= t1 || k === STOPS.length - 1) {
      const [t0, c0] = STOPS[k - 1]!;
      const f = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
      return [c0[0] + (c1[0] - c0[0]) * f, c0[1] + (c1[1] - c0[1]) * f, c0[2] + (c1[2] - c0[2]) * f];
    }
  }
  return STOPS[0]![1];
}

const LUT_SIZE = 256;
/** Relative strain above this is saturated red (strainScalePosition reaches 1 at 2^1.6 ≈ 3.03). */
const REL_MAX = 3.2;
const REL_STEPS = 2048;
let colourLut: Uint8Array | null = null;
let relToColour: Uint16Array | null = null;

function strainColourLut(): Uint8Array {
  if (colourLut) return colourLut;
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let k = 0; k < LUT_SIZE; k++) lut.set(strainColour(k / (LUT_SIZE - 1)).map(Math.round), k * 3);
  colourLut = lut;
  return lut;
}

/** Relative strain (quantised) → offset into the colour table: avoids a logarithm per pixel. */
function relativeStrainLut(): Uint16Array {
  if (relToColour) return relToColour;
  const lut = new Uint16Array(REL_STEPS);
  for (let q = 0; q < REL_STEPS; q++) {
    lut[q] = Math.round(strainScalePosition(((q + 0.5) * REL_MAX) / REL_STEPS) * (LUT_SIZE - 1)) * 3;
  }
  relToColour = lut;
  return lut;
}

/** Blends the colour-coded strain over an RGB field holding the B-mode, inside the box only. */
export function paintStrain(rgb: Uint8Array, rel: Float32Array, box: ElastoBox, width: number, opacity: number): void {
  const lut = strainColourLut();
  const index = relativeStrainLut();
  const toStep = REL_STEPS / REL_MAX;
  const bw = box.x1 - box.x0 + 1;
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) {
      const i = y * width + x;
      const k = index[Math.min(REL_STEPS - 1, (rel[(y - box.y0) * bw + (x - box.x0)]! * toStep) | 0)]!;
      rgb[i * 3] = rgb[i * 3]! * (1 - opacity) + lut[k]! * opacity;
      rgb[i * 3 + 1] = rgb[i * 3 + 1]! * (1 - opacity) + lut[k + 1]! * opacity;
      rgb[i * 3 + 2] = rgb[i * 3 + 2]! * (1 - opacity) + lut[k + 2]! * opacity;
    }
  }
}

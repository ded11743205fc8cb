/**
 * Fully developed speckle: a complex Gaussian scatterer field weighted by the local backscatter
 * amplitude, convolved with the point-spread function, then envelope detection (magnitude).
 *
 * The PSF is separable: laterally a Gaussian whose width follows the beam (narrowest at the focus),
 * axially a Gaussian pulse with a cosine carrier. We work on demodulated (IQ) data, so the carrier is
 * the residual after demodulation (a fraction of a cycle per pixel); the envelope statistics are
 * those of the RF model, and pixels stay at 0.1 mm.
 */

import { reusableFloat32 } from './pool';
import { fillNormal, type Rng } from './rng';

export interface Psf {
  /** Axial Gaussian sigma, pixels. */
  axialSigma: number;
  /** Residual carrier, cycles per pixel. */
  carrier: number;
  /** Lateral Gaussian sigma at the focus, pixels. */
  lateralSigmaFocus: number;
  /** Growth of the lateral sigma per pixel of distance from the focal depth. */
  lateralSpread: number;
  focusRow: number;
}

/** Kernels are normalised to unit energy so a homogeneous region keeps E|z|² = amplitude². */
function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let e = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + r] = v;
    e += v * v;
  }
  const s = 1 / Math.sqrt(e);
  for (let i = 0; i < k.length; i++) k[i] = k[i]! * s;
  return k;
}

function boxPass(src: Float32Array, srcOff: number, dst: Float32Array, dstOff: number, n: number, r: number): void {
  let sum = 0;
  for (let i = 0; i < Math.min(r, n); i++) sum += src[srcOff + i]!;
  for (let i = 0; i < n; i++) {
    if (i + r < n) sum += src[srcOff + i + r]!;
    if (i - r - 1 >= 0) sum -= src[srcOff + i - r - 1]!;
    dst[dstOff + i] = sum;
  }
}

/** Three box passes over one row (zero outside the field), scaled by `gain`. */
function tripleBox(
  src: Float32Array,
  dst: Float32Array,
  off: number,
  n: number,
  r: number,
  gain: number,
  t1: Float32Array,
  t2: Float32Array,
): void {
  boxPass(src, off, t1, 0, n, r);
  boxPass(t1, 0, t2, 0, n, r);
  boxPass(t2, 0, dst, off, n, r);
  for (let i = 0; i < n; i++) dst[off + i] = dst[off + i]! * gain;
}

const energyCache = new Map<number, number>();

/** Σk² of the kernel made of three unit boxes of width 2r+1. */
function tripleBoxEnergy(r: number): number {
  const cached = energyCache.get(r);
  if (cached !== undefined) return cached;
  let k = new Float64Array([1]);
  for (let pass = 0; pass < 3; pass++) {
    const next = new Float64Array(k.length + 2 * r);
    for (let i = 0; i < k.length; i++) for (let j = 0; j <= 2 * r; j++) next[i + j] = next[i + j]! + k[i]!;
    k = next;
  }
  let e = 0;
  for (const v of k) e += v * v;
  energyCache.set(r, e);
  return e;
}

/** Working buffers, fully overwritten on every call. */
function scratchBuffers(n: number): [Float32Array, Float32Array, Float32Array, Float32Array] {
  return [
    reusableFloat32('speckle.re', n),
    reusableFloat32('speckle.im', n),
    reusableFloat32('speckle.lre', n),
    reusableFloat32('speckle.lim', n),
  ];
}

/**
 * Envelope of the beamformed echo for a field of backscatter amplitudes (sqrt of power), row-major
 * width × height. Returns Rayleigh-distributed values in homogeneous regions.
 */
export function speckleEnvelope(amplitude: Float32Array, width: number, height: number, psf: Psf, rng: Rng): Float32Array {
  const n = width * height;
  const [re, im, lre, lim] = scratchBuffers(n);
  fillNormal(rng, re);
  fillNormal(rng, im);
  const half = Math.SQRT1_2; // each quadrature carries half the power
  for (let i = 0; i < n; i++) {
    const a = amplitude[i]! * half;
    re[i] = re[i]! * a;
    im[i] = im[i]! * a;
  }

  // Lateral pass: a Gaussian approximated by three box filters (cost independent of the width),
  // radius chosen per band of rows because the beam widens away from the focus.
  const t1 = new Float32Array(width);
  const t2 = new Float32Array(width);
  const band = 8;
  for (let y0 = 0; y0 < height; y0 += band) {
    const sigma = psf.lateralSigmaFocus + psf.lateralSpread * Math.abs(y0 + band / 2 - psf.focusRow);
    const r = Math.max(0, Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2));
    const gain = 1 / Math.sqrt(tripleBoxEnergy(r));
    for (let y = y0; y < Math.min(height, y0 + band); y++) {
      const row = y * width;
      tripleBox(re, lre, row, width, r, gain, t1, t2);
      tripleBox(im, lim, row, width, r, gain, t1, t2);
    }
  }

  // Axial pass with the complex (carrier-modulated) pulse; rows are processed whole for cache locality.
  const g = gaussianKernel(psf.axialSigma);
  const r = (g.length - 1) / 2;
  const hr = new Float32Array(g.length);
  const hi = new Float32Array(g.length);
  for (let j = -r; j <= r; j++) {
    hr[j + r] = g[j + r]! * Math.cos(2 * Math.PI * psf.carrier * j);
    hi[j + r] = g[j + r]! * Math.sin(2 * Math.PI * psf.carrier * j);
  }
  const envelope = new Float32Array(n);
  const accR = new Float32Array(width);
  const accI = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    accR.fill(0);
    accI.fill(0);
    for (let j = Math.max(-r, -y); j <= Math.min(r, height - 1 - y); j++) {
      const wr = hr[j + r]!;
      const wi = hi[j + r]!;
      const src = (y + j) * width;
      for (let x = 0; x < width; x++) {
        const a = lre[src + x]!;
        const b = lim[src + x]!;
        accR[x] = accR[x]! + wr * a - wi * b;
        accI[x] = accI[x]! + wr * b + wi * a;
      }
    }
    const row = y * width;
    for (let x = 0; x < width; x++) envelope[row + x] = Math.sqrt(accR[x]! * accR[x]! + accI[x]! * accI[x]!);
  }
  return envelope;
}

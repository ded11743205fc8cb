/**
 * B-mode formation: depth attenuation (two-way, integrated along each scan line, so shadows and
 * posterior enhancement follow from the scene), time-gain compensation for the nominal tissue
 * attenuation, speckle, and log compression to 8-bit grey levels.
 */

import { MM_PER_PX, pxFromMm } from './layout';
import { boxBlur } from './noise';
import { reusableFloat32 } from './pool';
import type { Rng } from './rng';
import type { Scene } from './scene';
import { speckleEnvelope, type Psf } from './speckle';
import type { PhantomParams } from './types';

/** Attenuation the TGC assumes, dB/(cm·MHz): average soft tissue. */
const NOMINAL_ATTEN = 0.7;
/** dB level (20·log10 of envelope + gain) shown as white at the nominal setting. */
const DISPLAY_TOP_DB = 36;
const DB_TO_NEPER = Math.LN10 / 20;

export function makePsf(p: PhantomParams): Psf {
  // Higher frequency: shorter pulse and narrower beam.
  const f = p.frequencyMHz;
  return {
    axialSigma: pxFromMm(0.11) * (12 / f),
    carrier: 0.18,
    lateralSigmaFocus: pxFromMm(0.38) * (12 / f),
    lateralSpread: 0.012,
    focusRow: pxFromMm(p.focusDepthMm),
  };
}

/** Amplitude reaching the display before speckle: sqrt(backscatter) × attenuation × TGC × gain. */
export function compensatedAmplitude(scene: Scene, p: PhantomParams): Float32Array {
  const { width, height, echo, atten } = scene;
  const out = reusableFloat32('bmode.amplitude', width * height);
  const dbPerPxPerUnit = 2 * p.frequencyMHz * MM_PER_PX * 0.1; // two-way, per pixel of depth, per dB/(cm·MHz)
  const column = new Float32Array(width);
  const lateral = new Float32Array(width);
  const focusRow = pxFromMm(p.focusDepthMm);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) column[x] = column[x]! + atten[row + x]! * dbPerPxPerUnit;
    // The beam has finite width, so a shadow or an enhancement band is blurred laterally.
    smoothRow(column, lateral, 3);
    const tgc = NOMINAL_ATTEN * dbPerPxPerUnit * (y + 1) + (p.tgcResidualDb * y) / height;
    const focusGain = 2.5 * Math.exp(-(((y - focusRow) / pxFromMm(6)) ** 2));
    for (let x = 0; x < width; x++) {
      const db = tgc - lateral[x]! + focusGain + p.gainDb;
      out[row + x] = Math.sqrt(echo[row + x]!) * Math.exp(db * DB_TO_NEPER);
    }
  }
  return out;
}

/** Moving average with the window shrunk at the edges (beam width blurs shadows laterally). */
export function smoothRow(src: Float32Array, dst: Float32Array, radius: number): void {
  const n = src.length;
  let s = 0;
  let c = 0;
  for (let j = 0; j < Math.min(radius, n); j++) {
    s += src[j]!;
    c++;
  }
  for (let x = 0; x < n; x++) {
    if (x + radius < n) {
      s += src[x + radius]!;
      c++;
    }
    if (x - radius - 1 >= 0) {
      s -= src[x - radius - 1]!;
      c--;
    }
    dst[x] = s / c;
  }
}

/**
 * Log compression into [0, 255] over the dynamic range, after the light smoothing (in place) of the
 * envelope that scanners apply (speckle reduction), so speckle nulls do not read as black worms.
 */
export function logCompress(envelope: Float32Array, width: number, height: number, dynamicRangeDb: number): Uint8Array {
  const n = envelope.length;
  boxBlur(envelope, width, height, 1); // in place: the caller does not need the raw envelope afterwards
  const out = new Uint8Array(n);
  const bottom = DISPLAY_TOP_DB - dynamicRangeDb;
  const scale = 255 / dynamicRangeDb;
  const toDb = 20 / Math.LN10;
  for (let i = 0; i < n; i++) {
    const g = (toDb * Math.log(envelope[i]! + 1e-6) - bottom) * scale;
    out[i] = g <= 0 ? 0 : g >= 255 ? 255 : g;
  }
  return out;
}

/** The B-mode imaging field as 8-bit grey levels, row-major, scene.width × scene.height. */
export function renderBmodeField(scene: Scene, p: PhantomParams, rng: Rng): Uint8Array {
  const amplitude = compensatedAmplitude(scene, p);
  const envelope = speckleEnvelope(amplitude, scene.width, scene.height, makePsf(p), rng);
  return logCompress(envelope, scene.width, scene.height, p.dynamicRangeDb);
}

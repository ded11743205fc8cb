/**
 * B-mode formation of generator version 2, on the beam grid (columns = scan lines):
 * two-way attenuation integrated down each line (so calcifications shadow and fluid, vessels and
 * hypoechoic nodes enhance what lies behind them), a time-gain compensation that undoes only part
 * of it (depth loss), the focal gain, scatterer-density variation (partially developed speckle),
 * version 1's speckle model with a point-spread function that differs per case (grain from fine to
 * coarse, not always laterally streaked), the scanner's speckle reduction and log compression.
 */

import { smoothRow } from '../bmode';
import { boxBlur } from '../noise';
import { reusableFloat32 } from '../pool';
import type { Rng } from '../rng';
import { speckleEnvelope } from '../speckle';
import type { SceneArrays } from './anatomy';
import { fieldNoise } from './field-noise';
import type { PhantomParamsV2 } from './params';
import { LINES, SAMPLES, type BeamGeometry } from './probe';

const NOMINAL_ATTEN = 0.7;
const DISPLAY_TOP_DB = 36;
const DB_TO_NEPER = Math.LN10 / 20;
/** Resolution of the grey-map lookup table (finer than the 256 grey levels it produces). */
const GREY_STEPS = 4096;

export function renderBmodeBeams(p: PhantomParamsV2, g: BeamGeometry, scene: SceneArrays, rng: Rng): Uint8Array {
  const n = LINES * SAMPLES;
  const amplitude = reusableFloat32('v2.amplitude', n);
  const dbPerSample = 2 * p.frequencyMHz * g.axialStepMm * 0.1; // two-way, per dB/(cm·MHz)
  const column = new Float32Array(LINES);
  const lateral = new Float32Array(LINES);
  const grain = new Float32Array(LINES);
  const focus = p.focusDepthMm;
  // Partially developed speckle: the density of scatterers varies at the sub-millimetre scale.
  const density = fieldNoise(rng, g.bounds, rng.uniform(0.3, 0.9));
  const densityDepth = rng.uniform(0.1, 0.45);
  // Near-field darkening under the probe face on some scanners (or reverberation haze on others).
  const nearDb = rng.uniform(-4, 3);
  for (let j = 0; j < SAMPLES; j++) {
    const row = j * LINES;
    for (let l = 0; l < LINES; l++) column[l] = column[l]! + scene.atten[row + l]! * dbPerSample;
    smoothRow(column, lateral, 2);
    const depth = (j + 0.5) * g.axialStepMm;
    const frac = depth / g.depthMm;
    const tgc =
      NOMINAL_ATTEN * dbPerSample * (j + 1) +
      p.tgcResidualDb * Math.sin(Math.PI * frac) +
      p.depthLossDb * frac * frac +
      nearDb * Math.exp(-depth / 2.5);
    const focusGain = 3 * Math.exp(-(((depth - focus) / 7) ** 2));
    // The density field varies over 0.3–0.9 mm: read it on every other sample along the beam.
    if ((j & 1) === 0) for (let l = 0; l < LINES; l++) grain[l] = densityDepth * density.at(g.x[row + l]!, g.z[row + l]!);
    for (let l = 0; l < LINES; l++) {
      const i = row + l;
      const db = tgc - lateral[l]! + focusGain + p.gainDb;
      amplitude[i] = Math.sqrt(scene.echo[i]!) * Math.exp(grain[l]! + db * DB_TO_NEPER);
    }
  }
  const envelope = speckleEnvelope(
    amplitude,
    LINES,
    SAMPLES,
    {
      axialSigma: p.axialResMm / g.axialStepMm,
      carrier: rng.uniform(0, 0.3),
      lateralSigmaFocus: p.lateralResMm / g.lateralStepMm,
      lateralSpread: rng.uniform(0.004, 0.02),
      focusRow: focus / g.axialStepMm,
    },
    rng,
  );
  if (p.speckleSmoothing > 0) boxBlur(envelope, LINES, SAMPLES, p.speckleSmoothing);
  const out = new Uint8Array(n);
  const bottom = DISPLAY_TOP_DB - p.dynamicRangeDb;
  const toDb = 20 / Math.LN10;
  // Grey map: vendors differ in the curve from echo level to grey (gamma around 1).
  const gamma = rng.uniform(0.8, 1.3);
  const curve = new Uint8Array(GREY_STEPS + 1);
  for (let k = 0; k <= GREY_STEPS; k++) curve[k] = Math.round(255 * Math.pow(k / GREY_STEPS, gamma));
  for (let i = 0; i < n; i++) {
    const t = (toDb * Math.log(envelope[i]! + 1e-6) - bottom) / p.dynamicRangeDb;
    out[i] = t <= 0 ? 0 : t >= 1 ? 255 : curve[Math.round(t * GREY_STEPS)]!;
  }
  return out;
}

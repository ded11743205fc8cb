/**
 * Strain elastography of generator version 2, on the beam grid: version 1's model (strain ≈ stress
 * / Young's modulus, stress decaying with depth below the probe face, windowed estimation blur,
 * multiplicative noise, normalised to the mean in the box), shown in one of several vendors' colour
 * scales. Manufacturers do not share a convention (EFSUMB guidelines, Bamber et al. 2013): some show
 * soft as red and hard as blue, others the reverse (red = hard), a grey scale with dark = hard, or
 * hard as purple. The scale bar drawn with the image always says which end is hard.
 */

import { nodeBounds, type NodeShape } from '../node-shape';
import { boxBlur } from '../noise';
import { reusableFloat32 } from '../pool';
import type { Rng } from '../rng';
import { strainColour, strainScalePosition } from '../elastography';
import type { SceneArrays } from './anatomy';
import { fieldNoise } from './field-noise';
import { UNITS_PER_MM } from './nodes';
import type { StrainScale } from './params';
import { LINES, SAMPLES, worldToBeam, type BeamGeometry } from './probe';

export interface ElastoBoxV2 {
  l0: number;
  l1: number;
  j0: number;
  j1: number;
}

export function elastoBox(g: BeamGeometry, shapes: NodeShape[], rng: Rng): ElastoBoxV2 {
  let l0 = LINES;
  let l1 = 0;
  let j0 = SAMPLES;
  let j1 = 0;
  for (const sh of shapes) {
    const b = nodeBounds(sh, 0);
    for (const [x, z] of [
      [b.x0, b.y0],
      [b.x1, b.y0],
      [b.x0, b.y1],
      [b.x1, b.y1],
    ] as const) {
      const q = worldToBeam(g, x / UNITS_PER_MM, z / UNITS_PER_MM);
      l0 = Math.min(l0, Number.isNaN(q.l) ? (x < 0 ? 0 : LINES - 1) : q.l);
      l1 = Math.max(l1, Number.isNaN(q.l) ? (x < 0 ? 0 : LINES - 1) : q.l);
      j0 = Math.min(j0, Number.isNaN(q.j) ? SAMPLES / 2 : q.j);
      j1 = Math.max(j1, Number.isNaN(q.j) ? SAMPLES / 2 : q.j);
    }
  }
  // The box covers the node and plenty of surrounding tissue, as strain scoring requires.
  const ml = Math.max(25, (l1 - l0) * rng.uniform(0.4, 0.9));
  const mj = Math.max(20, (j1 - j0) * rng.uniform(0.35, 0.8));
  return {
    l0: Math.max(2, Math.round(l0 - ml)),
    l1: Math.min(LINES - 3, Math.round(l1 + ml)),
    j0: Math.max(8, Math.round(j0 - mj)),
    j1: Math.min(SAMPLES - 3, Math.round(j1 + mj)),
  };
}

/** Relative strain (1 = mean over the box) on the whole beam grid; meaningful inside the box. */
export function relativeStrainV2(g: BeamGeometry, scene: SceneArrays, box: ElastoBoxV2, rng: Rng): Float32Array {
  const n = LINES * SAMPLES;
  const strain = reusableFloat32('v2.strain', n); // fully overwritten; reused by the next case
  for (let i = 0; i < n; i++) strain[i] = 1 / (1 + g.d[i]! / 25) / scene.stiffness[i]!;
  boxBlur(strain, LINES, SAMPLES, Math.max(1, Math.round(rng.uniform(0.6, 1.6) / g.axialStepMm)));
  const noise = fieldNoise(rng, g.bounds, rng.uniform(1, 2));
  const level = rng.uniform(0.12, 0.3);
  let sum = 0;
  let count = 0;
  for (let j = box.j0; j <= box.j1; j++) {
    for (let l = box.l0; l <= box.l1; l++) {
      const i = j * LINES + l;
      strain[i] = strain[i]! * Math.exp(level * noise.at(g.x[i]!, g.z[i]!));
      sum += strain[i];
      count++;
    }
  }
  const mean = sum / Math.max(1, count);
  for (let i = 0; i < n; i++) strain[i] = strain[i]! / mean;
  return strain;
}

const PURPLE: [number, [number, number, number]][] = [
  [0, [110, 20, 150]],
  [0.35, [40, 80, 220]],
  [0.6, [40, 200, 120]],
  [0.85, [240, 220, 40]],
  [1, [250, 120, 30]],
];

function stops(t: number, s: [number, [number, number, number]][]): [number, number, number] {
  for (let k = 1; k < s.length; k++) {
    const [t1, c1] = s[k]!;
    if (t <= t1 || k === s.length - 1) {
      const [t0, c0] = s[k - 1]!;
      const f = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
      return [c0[0] + (c1[0] - c0[0]) * f, c0[1] + (c1[1] - c0[1]) * f, c0[2] + (c1[2] - c0[2]) * f];
    }
  }
  return s[0]![1];
}

/** Colour of a scale position t (0 = hardest … 1 = softest) in a vendor's scale. */
export function strainScaleColour(scale: StrainScale, t: number): [number, number, number] {
  switch (scale) {
    case 'red-soft':
      return strainColour(t);
    case 'red-hard':
      return strainColour(1 - t);
    case 'grey-dark-hard':
      return [255 * t, 255 * t, 255 * t];
    case 'purple-hard':
      return stops(t, PURPLE);
  }
}

export { strainScalePosition };

/** Opacity of the strain overlay: colour scales are blended over the B-mode, grey is shown nearly alone. */
export function strainOpacity(scale: StrainScale, rng: Rng): number {
  return scale === 'grey-dark-hard' ? rng.uniform(0.85, 1) : rng.uniform(0.45, 0.75);
}

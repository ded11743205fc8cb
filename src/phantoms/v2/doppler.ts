/**
 * Colour Doppler of generator version 2, on the beam grid. The flow model is version 1's (vessel
 * trees by vascular pattern, Doppler velocity = flow projected on the beam, aliasing above the
 * Nyquist velocity); version 2 adds what real CDFI frames look like: colour estimated on a coarse
 * ensemble grid (blocky pixels), colour blooming that bleeds past the lumen at high colour gain,
 * blob-shaped filling and dropout, estimator noise and mosaic near aliasing, and flow in the great
 * vessels (carotid fast and often aliased, jugular slow, the other way).
 */

import { nodeBounds, type NodeShape } from '../node-shape';
import { reusableFloat32, reusableUint8 } from '../pool';
import type { Rng } from '../rng';
import type { PhantomParams } from '../types';
import { generateVessels } from '../vessels';
import { LABEL } from './anatomy';
import { fieldNoise } from './field-noise';
import { UNITS_PER_MM } from './nodes';
import type { PhantomParamsV2 } from './params';
import { LINES, SAMPLES, worldToBeam, type BeamGeometry } from './probe';

export interface ColourBoxV2 {
  l0: number;
  l1: number;
  j0: number;
  j1: number;
  /** Lines of lateral shift per sample of depth (steered linear probes). */
  skew: number;
}

export interface ColourFlow {
  box: ColourBoxV2;
  /** Shown velocity as a share of Nyquist in [-1, 1], and whether a sample is coloured. */
  shown: Float32Array;
  coloured: Uint8Array;
  /** Intranodal vessel lumens before dropout (the `vessels` mask). All arrays are reused by the next case. */
  vesselMask: Uint8Array;
}

export function insideColourBox(b: ColourBoxV2, l: number, j: number): boolean {
  if (j < b.j0 || j > b.j1) return false;
  const s = (j - b.j0) * b.skew;
  return l >= b.l0 + s && l <= b.l1 + s;
}

function colourBox(p: PhantomParamsV2, g: BeamGeometry, rng: Rng, shapes: NodeShape[]): ColourBoxV2 {
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
      [(b.x0 + b.x1) / 2, b.y0],
    ] as const) {
      const q = worldToBeam(g, x / UNITS_PER_MM, z / UNITS_PER_MM);
      const l = Number.isNaN(q.l) ? (x < 0 ? 0 : LINES - 1) : q.l;
      const j = Number.isNaN(q.j) ? SAMPLES / 2 : q.j;
      l0 = Math.min(l0, l);
      l1 = Math.max(l1, l);
      j0 = Math.min(j0, j);
      j1 = Math.max(j1, j);
    }
  }
  const ml = (l1 - l0) * rng.uniform(0.2, 0.6) + 6;
  const mj = (j1 - j0) * rng.uniform(0.2, 0.6) + 6;
  const skew =
    ((p.steeringDeg * Math.PI) / 180 === 0 ? 0 : Math.tan((p.steeringDeg * Math.PI) / 180)) * (g.axialStepMm / g.lateralStepMm);
  const top = Math.max(4, Math.round(j0 - mj));
  const bottom = Math.min(SAMPLES - 2, Math.round(j1 + mj));
  const shift = skew * ((j0 + j1) / 2 - top);
  return {
    l0: Math.max(1 - Math.min(0, skew) * (bottom - top), Math.round(l0 - ml - shift)),
    l1: Math.min(LINES - 2 - Math.max(0, skew) * (bottom - top), Math.round(l1 + ml - shift)),
    j0: top,
    j1: bottom,
    skew,
  };
}

export function colourFlow(
  p: PhantomParamsV2,
  g: BeamGeometry,
  labels: Uint8Array,
  grey: Uint8Array,
  shapes: NodeShape[],
  rng: Rng,
): ColourFlow {
  const n = LINES * SAMPLES;
  const velocity = reusableFloat32('v2.doppler.velocity', n, true);
  const vesselMask = reusableUint8('v2.doppler.vessels', n, true);
  const steer = (p.steeringDeg * Math.PI) / 180;
  shapes.forEach((sh, k) => {
    // Each node of a cluster has its own vascular tree; neighbours usually show fewer vessels.
    const pk: PhantomParams = k === 0 ? p : { ...p, vesselCount: Math.max(0, Math.round(p.vesselCount / 2)) };
    for (const s of generateVessels(pk, rng, sh)) {
      const x0 = s.x0 / UNITS_PER_MM;
      const z0 = s.y0 / UNITS_PER_MM;
      rasterSegment(
        g,
        x0,
        z0,
        s.x1 / UNITS_PER_MM,
        s.y1 / UNITS_PER_MM,
        s.radius / UNITS_PER_MM,
        s.speed,
        steer,
        velocity,
        vesselMask,
      );
    }
  });
  // Through-plane flow in the great vessels: the neck is not scanned exactly across them.
  const arterySign = rng.bool(0.5) ? 1 : -1;
  const arteryPeak = arterySign * p.nyquistCms * rng.uniform(0.7, 2.2);
  const veinPeak = p.jugularCompression > 0.75 ? 0 : -arterySign * p.nyquistCms * rng.uniform(0.15, 0.7);
  const lumenDepth = reusableUint8('v2.doppler.lumen', n);
  for (let i = 0; i < n; i++) {
    const lab = labels[i]!;
    if (lab & LABEL.artery) velocity[i] = arteryPeak;
    else if (lab & LABEL.vein) velocity[i] = veinPeak;
    lumenDepth[i] = lab & (LABEL.artery | LABEL.vein) ? 1 : 0;
  }

  const box = colourBox(p, g, rng, shapes);
  // Ensemble grid: one colour estimate per block of lines × samples.
  const bl = rng.int(1, 3);
  const bs = rng.int(2, 6);
  const bleed = Math.round(p.colourGain * rng.uniform(0, 3));
  const blobs = fieldNoise(rng, g.bounds, rng.uniform(0.6, 1.6));
  const dropLevel = 0.5 - 2.2 * p.colourGain;
  const wall = rng.uniform(0.05, 0.15) * p.nyquistCms;
  const priority = rng.int(170, 215);
  const shown = reusableFloat32('v2.doppler.shown', n, true);
  const coloured = reusableUint8('v2.doppler.coloured', n, true);
  const lFrom = Math.max(0, Math.floor(box.l0 + Math.min(0, box.skew) * (box.j1 - box.j0)));
  const lTo = Math.min(LINES, Math.ceil(box.l1 + Math.max(0, box.skew) * (box.j1 - box.j0)) + 1);
  const lStart = lFrom - (lFrom % bl);
  const nbl = Math.ceil((lTo - lStart) / bl);
  const nbj = Math.ceil((box.j1 + 1 - box.j0) / bs);
  // Strongest velocity of each block (and whether it lies in a great vessel's lumen).
  const blockV = new Float32Array(nbl * nbj);
  const blockLumen = new Uint8Array(nbl * nbj);
  for (let bj = 0; bj < nbj; bj++) {
    for (let bi = 0; bi < nbl; bi++) {
      let v = 0;
      let lumen = 0;
      for (let j = box.j0 + bj * bs; j < Math.min(SAMPLES, box.j0 + (bj + 1) * bs); j++) {
        for (let l = lStart + bi * bl; l < Math.min(LINES, lStart + (bi + 1) * bl); l++) {
          const w = velocity[j * LINES + l]!;
          if (Math.abs(w) > Math.abs(v)) v = w;
          lumen |= lumenDepth[j * LINES + l]!;
        }
      }
      blockV[bj * nbl + bi] = v;
      blockLumen[bj * nbl + bi] = lumen;
    }
  }
  for (let bj = 0; bj < nbj; bj++) {
    const jb = box.j0 + bj * bs;
    for (let bi = 0; bi < nbl; bi++) {
      const lb = lStart + bi * bl;
      // Blooming: a block also shows (weaker) flow from blocks up to `bleed` away.
      let v = blockV[bj * nbl + bi]!;
      for (let dj = -bleed; dj <= bleed; dj++) {
        for (let di = -bleed; di <= bleed; di++) {
          const qj = bj + dj;
          const qi = bi + di;
          if ((dj === 0 && di === 0) || qj < 0 || qi < 0 || qj >= nbj || qi >= nbl) continue;
          const w = blockV[qj * nbl + qi]! * 0.7;
          if (Math.abs(w) > Math.abs(v)) v = w;
        }
      }
      const jc = Math.min(SAMPLES - 1, jb + (bs >> 1));
      const lc = Math.min(LINES - 1, lb + (bl >> 1));
      const ic = jc * LINES + lc;
      if (v === 0 || !insideColourBox(box, lc, jc)) continue;
      const blob = blobs.at(g.x[ic]!, g.z[ic]!);
      // Great vessels fill more completely than small intranodal ones.
      if (Math.abs(v) < wall || blob < dropLevel - blockLumen[bj * nbl + bi]! * 1.2 || grey[ic]! > priority) continue;
      let f = (v * rng.uniform(0.8, 1.2)) / p.nyquistCms;
      f = f - 2 * Math.round(f / 2); // aliasing: wrap into (-1, 1]
      // Mosaic: near the aliasing limit the estimate flips sign from block to block.
      if (Math.abs(f) > 0.8 && rng.bool(0.3)) f = -f;
      for (let j = jb; j < Math.min(SAMPLES, jb + bs); j++) {
        for (let l = lb; l < Math.min(LINES, lb + bl); l++) {
          const i = j * LINES + l;
          shown[i] = f;
          coloured[i] = 1;
        }
      }
    }
  }
  return { box, shown, coloured, vesselMask };
}

function rasterSegment(
  g: BeamGeometry,
  x0: number,
  z0: number,
  x1: number,
  z1: number,
  radius: number,
  speed: number,
  steer: number,
  velocity: Float32Array,
  mask: Uint8Array,
): void {
  const pad = radius + 0.3;
  let la = LINES;
  let lb = -1;
  let ja = SAMPLES;
  let jb = -1;
  for (const [x, z] of [
    [Math.min(x0, x1) - pad, Math.min(z0, z1) - pad],
    [Math.max(x0, x1) + pad, Math.min(z0, z1) - pad],
    [Math.min(x0, x1) - pad, Math.max(z0, z1) + pad],
    [Math.max(x0, x1) + pad, Math.max(z0, z1) + pad],
  ] as const) {
    const q = worldToBeam(g, x, z);
    if (Number.isNaN(q.l)) continue;
    la = Math.min(la, Math.floor(q.l) - 2);
    lb = Math.max(lb, Math.ceil(q.l) + 2);
    ja = Math.min(ja, Math.floor(q.j) - 2);
    jb = Math.max(jb, Math.ceil(q.j) + 2);
  }
  if (lb < 0) return;
  const dx = x1 - x0;
  const dz = z1 - z0;
  const len2 = dx * dx + dz * dz || 1e-6;
  const len = Math.sqrt(len2);
  const r2 = radius * radius;
  for (let j = Math.max(0, ja); j <= Math.min(SAMPLES - 1, jb); j++) {
    for (let l = Math.max(0, la); l <= Math.min(LINES - 1, lb); l++) {
      const i = j * LINES + l;
      const px = g.x[i]!;
      const pz = g.z[i]!;
      const t = Math.max(0, Math.min(1, ((px - x0) * dx + (pz - z0) * dz) / len2));
      const ex = px - (x0 + t * dx);
      const ez = pz - (z0 + t * dz);
      const d2 = (ex * ex + ez * ez) / r2;
      if (d2 >= 1) continue;
      // Towards the probe is positive: minus the projection on the beam direction (into the tissue).
      const bx = g.kind === 'linear' ? Math.sin(steer) : g.dirX[l]!;
      const bz = g.kind === 'linear' ? Math.cos(steer) : g.dirZ[l]!;
      const cosine = -(dx * bx + dz * bz) / len;
      const along = Math.sign(cosine || 1) * Math.max(Math.abs(cosine), 0.25);
      const v = speed * along * (1 - 0.7 * d2);
      if (Math.abs(v) > Math.abs(velocity[i]!)) velocity[i] = v;
      mask[i] = 1;
    }
  }
}

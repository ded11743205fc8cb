/**
 * Colour Doppler (CDFI): a steered colour box, the Doppler velocity map of the vessels inside it
 * (red towards the probe, blue away), wall filter, colour-gain dropout and aliasing above the
 * Nyquist velocity, painted over the B-mode where the tissue is not too bright (B-mode priority).
 */

import { pxFromMm } from './layout';
import { nodeBounds } from './node-shape';
import { smoothNoise } from './noise';
import { reusableFloat32, reusableUint8 } from './pool';
import type { Rng } from './rng';
import type { Scene } from './scene';
import type { PhantomParams } from './types';
import type { VesselSegment } from './vessels';

export interface ColourBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Lateral shift per pixel of depth (tan of the steering angle). */
  slope: number;
}

export function colourBoxFor(p: PhantomParams, scene: Scene, rng: Rng): ColourBox {
  const nb = nodeBounds(scene.shape, 0);
  const mx = (nb.x1 - nb.x0) * rng.uniform(0.25, 0.5);
  const my = (nb.y1 - nb.y0) * rng.uniform(0.25, 0.5);
  const slope = Math.tan((p.steeringDeg * Math.PI) / 180);
  const y0 = Math.max(pxFromMm(1.5), Math.round(nb.y0 - my));
  const y1 = Math.min(scene.height - 2, Math.round(nb.y1 + my));
  // Centre the parallelogram on the node at its mid-depth.
  const shift = slope * ((nb.y0 + nb.y1) / 2 - y0);
  const x0 = Math.max(1 - Math.min(0, slope) * (y1 - y0), Math.round(nb.x0 - mx - shift));
  const x1 = Math.min(scene.width - 2 - Math.max(0, slope) * (y1 - y0), Math.round(nb.x1 + mx - shift));
  return { x0, y0, x1, y1, slope };
}

export function insideBox(b: ColourBox, x: number, y: number): boolean {
  if (y < b.y0 || y > b.y1) return false;
  const s = (y - b.y0) * b.slope;
  return x >= b.x0 + s && x <= b.x1 + s;
}

export interface DopplerMap {
  /** Doppler velocity along the beam, cm/s, positive towards the probe; 0 where no flow. */
  velocity: Float32Array;
  /** Intranodal vessel lumens (0/1), field pixels, before dropout. Reused by the next case: copy it. */
  vesselMask: Uint8Array;
}

export function dopplerMap(scene: Scene, vessels: VesselSegment[], p: PhantomParams, rng: Rng): DopplerMap {
  const { width, height } = scene;
  const velocity = reusableFloat32('doppler.velocity', width * height, true);
  const vesselMask = reusableUint8('doppler.vessels', width * height, true);
  const theta = (p.steeringDeg * Math.PI) / 180;
  // Unit vector from the scatterer back to the (steered) transducer.
  const tx = -Math.sin(theta);
  const ty = -Math.cos(theta);
  for (const s of vessels) {
    const dx = s.x1 - s.x0;
    const dy = s.y1 - s.y0;
    const len2 = dx * dx + dy * dy || 1;
    const len = Math.sqrt(len2);
    const cosine = (dx * tx + dy * ty) / len;
    // Perfectly perpendicular vessels still show some colour: the beam has an aperture, flow is not laminar.
    const along = Math.sign(cosine || 1) * Math.max(Math.abs(cosine), 0.25);
    const r = s.radius;
    const xa = Math.max(0, Math.floor(Math.min(s.x0, s.x1) - r));
    const xb = Math.min(width - 1, Math.ceil(Math.max(s.x0, s.x1) + r));
    const ya = Math.max(0, Math.floor(Math.min(s.y0, s.y1) - r));
    const yb = Math.min(height - 1, Math.ceil(Math.max(s.y0, s.y1) + r));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const t = Math.max(0, Math.min(1, ((x - s.x0) * dx + (y - s.y0) * dy) / len2));
        const ex = x - (s.x0 + t * dx);
        const ey = y - (s.y0 + t * dy);
        const d2 = (ex * ex + ey * ey) / (r * r);
        if (d2 >= 1) continue;
        const i = y * width + x;
        const v = s.speed * along * (1 - 0.7 * d2); // roughly parabolic profile
        if (Math.abs(v) > Math.abs(velocity[i]!)) velocity[i] = v;
        vesselMask[i] = 1;
      }
    }
  }
  // Carotid and jugular: through-plane flow, fast enough in the artery to alias at a node-friendly PRF.
  const arterySign = rng.bool(0.5) ? 1 : -1;
  for (const l of scene.lumens) {
    const peak =
      l.kind === 'artery'
        ? arterySign * p.nyquistCms * rng.uniform(0.8, 1.6)
        : -arterySign * p.nyquistCms * rng.uniform(0.3, 0.7);
    for (let y = Math.max(0, Math.floor(l.cy - l.ry)); y <= Math.min(height - 1, Math.ceil(l.cy + l.ry)); y++) {
      for (let x = Math.max(0, Math.floor(l.cx - l.rx)); x <= Math.min(width - 1, Math.ceil(l.cx + l.rx)); x++) {
        const d2 = ((x - l.cx) / l.rx) ** 2 + ((y - l.cy) / l.ry) ** 2;
        if (d2 < 0.85) velocity[y * width + x] = peak * (1 - 0.6 * d2);
      }
    }
  }
  return { velocity, vesselMask };
}

/** Folds a velocity into (-nyquist, nyquist]: what a pulsed Doppler estimator reports. */
export function alias(v: number, nyquist: number): number {
  const period = 2 * nyquist;
  return v - period * Math.round(v / period);
}

/** Colour for a Doppler velocity as a fraction of Nyquist, in [-1, 1] (BART: blue away, red towards). */
export function flowColour(f: number): [number, number, number] {
  const t = Math.min(1, Math.abs(f));
  if (f >= 0) return [120 + 135 * t, 230 * t * t, 20 * t];
  return [0, 40 * t + 190 * t * t, 140 + 115 * t];
}

/** Paints colour flow over an RGB field (3 bytes per pixel) that holds the B-mode. */
export function paintColourFlow(
  rgb: Uint8Array,
  gray: Uint8Array,
  map: DopplerMap,
  box: ColourBox,
  p: PhantomParams,
  rng: Rng,
  width: number,
  height: number,
): void {
  const ya = Math.max(0, box.y0);
  const yb = Math.min(height - 1, box.y1);
  const dropout = smoothNoise(rng, width, yb - ya + 1, pxFromMm(1.2));
  const dropLevel = 0.4 - 2.2 * p.colourGain; // low colour gain: patchy, incomplete filling
  const wall = 0.1 * p.nyquistCms;
  for (let y = ya; y <= yb; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      // Colour flow is estimated on a coarser grid than the B-mode: 2 × 2 pixel blocks.
      const v = map.velocity[(y & ~1) * width + (x & ~1)]!;
      if (v === 0 || !insideBox(box, x, y)) continue;
      if (Math.abs(v) < wall || dropout[(y - ya) * width + x]! < dropLevel || gray[i]! > 185) continue;
      const shown = alias(v * rng.uniform(0.8, 1.15), p.nyquistCms) / p.nyquistCms;
      const [r, g, b] = flowColour(shown);
      rgb[i * 3] = r;
      rgb[i * 3 + 1] = g;
      rgb[i * 3 + 2] = b;
    }
  }
}

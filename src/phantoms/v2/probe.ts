/**
 * Probe geometry of generator version 2 and scan conversion.
 *
 * Everything acoustic is computed on the beam grid: LINES columns (scan lines) × SAMPLES rows
 * (depth samples along each line), so attenuation and shadows run down the columns and the speckle
 * point-spread function is in beam coordinates, as on a scanner. A linear probe's lines are
 * parallel; a curvilinear probe's fan out from a virtual apex behind its curved face. Scan
 * conversion then maps every screen pixel of the imaging area to a point of the beam grid.
 *
 * World coordinates are millimetres: x lateral (0 on the probe's centre line), z depth (0 at the
 * centre of the probe face). The skin follows the probe face, so anatomy is laid out in skin
 * coordinates: s along the skin, d depth below it.
 */

import type { Rect } from '../../imaging';
import { reusableFloat32 } from '../pool';
import type { PhantomParamsV2 } from './params';

export const LINES = 288;
export const SAMPLES = 360;

export interface BeamGeometry {
  kind: 'linear' | 'curvilinear';
  depthMm: number;
  /** Linear: footprint; curvilinear: field angle (radians) and radius of the face. */
  widthMm: number;
  angle: number;
  radiusMm: number;
  /** Millimetres between depth samples and (at the skin) between lines. */
  axialStepMm: number;
  lateralStepMm: number;
  /** Per beam sample (row-major, SAMPLES × LINES): world and skin coordinates, mm. */
  x: Float32Array;
  z: Float32Array;
  s: Float32Array;
  d: Float32Array;
  /** Per line: unit vector along the beam, into the tissue. */
  dirX: Float32Array;
  dirZ: Float32Array;
  /** World bounding box of the imaged region. */
  bounds: { x0: number; x1: number; z0: number; z1: number };
}

export function beamGeometry(p: PhantomParamsV2): BeamGeometry {
  const n = LINES * SAMPLES;
  // Fully overwritten below; pooled because a case allocates several grids of this size.
  const x = reusableFloat32('v2.geometry.x', n);
  const z = reusableFloat32('v2.geometry.z', n);
  const s = reusableFloat32('v2.geometry.s', n);
  const d = reusableFloat32('v2.geometry.d', n);
  const dirX = new Float32Array(LINES);
  const dirZ = new Float32Array(LINES);
  const D = p.depthMm;
  const axialStepMm = D / SAMPLES;
  if (p.probe === 'linear') {
    const W = p.footprintMm;
    for (let l = 0; l < LINES; l++) {
      dirX[l] = 0;
      dirZ[l] = 1;
    }
    for (let j = 0; j < SAMPLES; j++) {
      for (let l = 0; l < LINES; l++) {
        const i = j * LINES + l;
        x[i] = -W / 2 + ((l + 0.5) * W) / LINES;
        z[i] = (j + 0.5) * axialStepMm;
        s[i] = x[i]!;
        d[i] = z[i]!;
      }
    }
    return {
      kind: 'linear',
      depthMm: D,
      widthMm: W,
      angle: 0,
      radiusMm: 0,
      axialStepMm,
      lateralStepMm: W / LINES,
      x,
      z,
      s,
      d,
      dirX,
      dirZ,
      bounds: { x0: -W / 2, x1: W / 2, z0: 0, z1: D },
    };
  }
  const R = p.radiusMm;
  const A = (p.sectorDeg * Math.PI) / 180;
  for (let l = 0; l < LINES; l++) {
    const th = -A / 2 + ((l + 0.5) * A) / LINES;
    dirX[l] = Math.sin(th);
    dirZ[l] = Math.cos(th);
  }
  for (let j = 0; j < SAMPLES; j++) {
    const r = R + (j + 0.5) * axialStepMm;
    for (let l = 0; l < LINES; l++) {
      const i = j * LINES + l;
      const th = -A / 2 + ((l + 0.5) * A) / LINES;
      x[i] = r * dirX[l]!;
      z[i] = r * dirZ[l]! - R;
      s[i] = R * th;
      d[i] = r - R;
    }
  }
  const xr = (R + D) * Math.sin(A / 2);
  return {
    kind: 'curvilinear',
    depthMm: D,
    widthMm: 2 * xr,
    angle: A,
    radiusMm: R,
    axialStepMm,
    lateralStepMm: (R * A) / LINES,
    x,
    z,
    s,
    d,
    dirX,
    dirZ,
    bounds: { x0: -xr, x1: xr, z0: R * Math.cos(A / 2) - R, z1: D },
  };
}

/** Continuous beam-grid coordinates (line, sample) of a world point; NaN outside the field. */
export function worldToBeam(g: BeamGeometry, x: number, z: number): { l: number; j: number } {
  if (g.kind === 'linear') {
    const l = ((x + g.widthMm / 2) / g.widthMm) * LINES - 0.5;
    const j = z / g.axialStepMm - 0.5;
    return l < -0.5 || l > LINES - 0.5 || j < -0.5 || j > SAMPLES - 0.5 ? { l: NaN, j: NaN } : { l, j };
  }
  const zz = z + g.radiusMm;
  const r = Math.sqrt(x * x + zz * zz);
  const th = Math.atan2(x, zz);
  const l = ((th + g.angle / 2) / g.angle) * LINES - 0.5;
  const j = (r - g.radiusMm) / g.axialStepMm - 0.5;
  return l < -0.5 || l > LINES - 0.5 || j < -0.5 || j > SAMPLES - 0.5 ? { l: NaN, j: NaN } : { l, j };
}

export type { Rect };

/**
 * Where each screen pixel of an imaging area reads the beam grid: `pix` lists the screen pixels
 * inside the field (row-major index in the screen of width `screenWidth`), `l`/`j` their continuous
 * beam coordinates. `pxPerMm` is the display scale (the case's pixel spacing is its inverse).
 */
export interface ScreenMap {
  screenWidth: number;
  area: Rect;
  /** Screen position of the world origin (centre of the probe face) and the display scale. */
  originX: number;
  originY: number;
  pxPerMm: number;
  pix: Int32Array;
  l: Float32Array;
  j: Float32Array;
}

export function screenMap(g: BeamGeometry, area: Rect, screenWidth: number): ScreenMap {
  const b = g.bounds;
  const pxPerMm = Math.min(area.width / (b.x1 - b.x0), area.height / (b.z1 - b.z0));
  const originX = area.x + area.width / 2 - ((b.x0 + b.x1) / 2) * pxPerMm;
  const originY = area.y - b.z0 * pxPerMm;
  const cap = area.width * area.height;
  const { pix, ls, js } = mapScratch(cap);
  let k = 0;
  const linear = g.kind === 'linear';
  const lineScale = linear ? LINES / g.widthMm : LINES / g.angle;
  for (let py = area.y; py < area.y + area.height; py++) {
    const z = (py + 0.5 - originY) / pxPerMm;
    const zz = z + g.radiusMm;
    for (let px = area.x; px < area.x + area.width; px++) {
      const x = (px + 0.5 - originX) / pxPerMm;
      // worldToBeam, inlined: this runs for every pixel of every imaging area.
      let l: number;
      let j: number;
      if (linear) {
        l = (x + g.widthMm / 2) * lineScale - 0.5;
        j = z / g.axialStepMm - 0.5;
      } else {
        l = (Math.atan2(x, zz) + g.angle / 2) * lineScale - 0.5;
        j = (Math.sqrt(x * x + zz * zz) - g.radiusMm) / g.axialStepMm - 0.5;
      }
      if (l < -0.5 || l > LINES - 0.5 || j < -0.5 || j > SAMPLES - 0.5) continue;
      pix[k] = py * screenWidth + px;
      ls[k] = l < 0 ? 0 : l > LINES - 1 ? LINES - 1 : l;
      js[k] = j < 0 ? 0 : j > SAMPLES - 1 ? SAMPLES - 1 : j;
      k++;
    }
  }
  return { screenWidth, area, originX, originY, pxPerMm, pix: pix.slice(0, k), l: ls.slice(0, k), j: js.slice(0, k) };
}

/** The same map for an area of the same size at another place on the same screen. */
export function shiftMap(m: ScreenMap, area: Rect): ScreenMap {
  const dx = area.x - m.area.x;
  const dy = area.y - m.area.y;
  const shift = dy * m.screenWidth + dx;
  const pix = new Int32Array(m.pix.length);
  for (let k = 0; k < pix.length; k++) pix[k] = m.pix[k]! + shift;
  return { ...m, area, originX: m.originX + dx, originY: m.originY + dy, pix };
}

let scratch = { pix: new Int32Array(0), ls: new Float32Array(0), js: new Float32Array(0) };

/**
 * Scratch buffers of screenMap (its result is a copy), grown but never shrunk: imaging areas differ
 * in size between layouts and panels, and reallocating them on every call cost more than the mapping.
 */
function mapScratch(n: number): typeof scratch {
  if (scratch.pix.length < n) scratch = { pix: new Int32Array(n), ls: new Float32Array(n), js: new Float32Array(n) };
  return scratch;
}

/** Screen position of a world point. */
export function toScreen(m: ScreenMap, x: number, z: number): { x: number; y: number } {
  return { x: m.originX + x * m.pxPerMm, y: m.originY + z * m.pxPerMm };
}

/** Bilinear grey of the beam grid at every mapped pixel, tinted, into an RGBA image's bytes. */
export function paintGreyMapped(
  m: ScreenMap,
  grey: Uint8Array,
  data: Uint8ClampedArray,
  t0: number,
  t1: number,
  t2: number,
): void {
  for (let k = 0; k < m.pix.length; k++) {
    const l = m.l[k]!;
    const j = m.j[k]!;
    const l0 = Math.min(LINES - 2, Math.floor(l));
    const j0 = Math.min(SAMPLES - 2, Math.floor(j));
    const fl = l - l0;
    const fj = j - j0;
    const i = j0 * LINES + l0;
    const a = grey[i]! + (grey[i + 1]! - grey[i]!) * fl;
    const c = grey[i + LINES]! + (grey[i + LINES + 1]! - grey[i + LINES]!) * fl;
    const v = a + (c - a) * fj;
    const o = m.pix[k]! * 4;
    data[o] = v * t0;
    data[o + 1] = v * t1;
    data[o + 2] = v * t2;
  }
}

/** Nearest beam-grid index of every mapped pixel (for labels, masks and blocky colour flow). */
export function nearestIndex(m: ScreenMap, k: number): number {
  return Math.round(m.j[k]!) * LINES + Math.round(m.l[k]!);
}

/** World point (mm) of continuous beam coordinates (line, sample). */
export function beamToWorld(g: BeamGeometry, l: number, j: number): { x: number; z: number } {
  const depth = (j + 0.5) * g.axialStepMm;
  if (g.kind === 'linear') return { x: -g.widthMm / 2 + ((l + 0.5) * g.widthMm) / LINES, z: depth };
  const th = -g.angle / 2 + ((l + 0.5) * g.angle) / LINES;
  const r = g.radiusMm + depth;
  return { x: r * Math.sin(th), z: r * Math.cos(th) - g.radiusMm };
}

/** Beam-grid index ranges (inclusive, clipped) that cover a world box, with a margin of `pad` samples. */
export function beamRange(
  g: BeamGeometry,
  x0: number,
  z0: number,
  x1: number,
  z1: number,
  pad = 2,
): { l0: number; l1: number; j0: number; j1: number } | null {
  let l0 = Infinity;
  let l1 = -Infinity;
  let j0 = Infinity;
  let j1 = -Infinity;
  // Corners and edge midpoints: on a curvilinear grid the extreme radius of a box can lie on an edge.
  const xs = [x0, (x0 + x1) / 2, x1];
  const zs = [z0, (z0 + z1) / 2, z1];
  for (const x of xs) {
    for (const z of zs) {
      const q = rawBeam(g, x, z);
      l0 = Math.min(l0, q.l);
      l1 = Math.max(l1, q.l);
      j0 = Math.min(j0, q.j);
      j1 = Math.max(j1, q.j);
    }
  }
  const out = {
    l0: Math.max(0, Math.floor(l0) - pad),
    l1: Math.min(LINES - 1, Math.ceil(l1) + pad),
    j0: Math.max(0, Math.floor(j0) - pad),
    j1: Math.min(SAMPLES - 1, Math.ceil(j1) + pad),
  };
  return out.l0 > out.l1 || out.j0 > out.j1 ? null : out;
}

/** worldToBeam without the bounds check (may fall outside the grid). */
function rawBeam(g: BeamGeometry, x: number, z: number): { l: number; j: number } {
  if (g.kind === 'linear') return { l: ((x + g.widthMm / 2) / g.widthMm) * LINES - 0.5, j: z / g.axialStepMm - 0.5 };
  const zz = z + g.radiusMm;
  return {
    l: ((Math.atan2(x, zz) + g.angle / 2) / g.angle) * LINES - 0.5,
    j: (Math.sqrt(x * x + zz * zz) - g.radiusMm) / g.axialStepMm - 0.5,
  };
}

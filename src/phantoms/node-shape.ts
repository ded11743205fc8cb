/**
 * Node geometry in field pixels: a tilted ellipse with a lobulated contour, and a hilum band that
 * opens to the capsule on one side (where the hilar vessels enter).
 */

import type { Rng } from './rng';
import { pxFromMm } from './layout';
import type { PhantomParams } from './types';

export interface NodeShape {
  cx: number;
  cy: number;
  /** Semi-axes in pixels: a along the long axis, b along the short axis. */
  a: number;
  b: number;
  cos: number;
  sin: number;
  harmonics: { k: number; amp: number; phase: number }[];
  /** contourRadius sampled over [-π, π] (CONTOUR_LUT_SIZE + 1 entries), for per-pixel use. */
  contourLut: Float32Array;
  /** Hilum ellipse centre in node coordinates (u along long axis, v along short axis), and semi-axes. */
  hilum: { u: number; v: number; ha: number; hb: number; side: 1 | -1 } | null;
}

export function makeNodeShape(p: PhantomParams, rng: Rng): NodeShape {
  const a = pxFromMm(p.longAxisMm) / 2;
  const b = pxFromMm(p.shortAxisMm) / 2;
  const t = (p.tiltDeg * Math.PI) / 180;
  const harmonics = [2, 3, 4, 5].map((k) => ({
    k,
    amp: (p.lobulation * rng.uniform(0.3, 1)) / (k - 1),
    phase: rng.uniform(0, 2 * Math.PI),
  }));
  let hilum: NodeShape['hilum'] = null;
  if (p.hilumPresent) {
    const side: 1 | -1 = rng.bool(0.65) ? 1 : -1; // hilum mostly faces deep (v > 0 is deeper when untilted)
    const hb = Math.max(2, b * p.hilumWidthFrac);
    // Eccentric cortical thickening pushes the hilum towards the capsule on its side.
    const v = side * p.cortexEccentricity * Math.max(0, b - hb) * 0.85;
    const ha = a * rng.uniform(0.55, 0.85) * (1 - 0.3 * p.cortexEccentricity);
    hilum = { u: a * rng.uniform(-0.15, 0.15), v, ha, hb, side };
  }
  const shape: NodeShape = {
    cx: pxFromMm(p.centerXMm),
    cy: pxFromMm(p.centerDepthMm),
    a,
    b,
    cos: Math.cos(t),
    sin: Math.sin(t),
    harmonics,
    contourLut: new Float32Array(CONTOUR_LUT_SIZE + 1),
    hilum,
  };
  for (let k = 0; k <= CONTOUR_LUT_SIZE; k++)
    shape.contourLut[k] = contourRadius(shape, -Math.PI + (2 * Math.PI * k) / CONTOUR_LUT_SIZE);
  return shape;
}

const CONTOUR_LUT_SIZE = 512;

/** Fast contourRadius for per-pixel loops (nearest entry of the lookup table; contours are smooth). */
export function contourRadiusFast(s: NodeShape, phi: number): number {
  return s.contourLut[Math.round(((phi + Math.PI) / (2 * Math.PI)) * CONTOUR_LUT_SIZE)]!;
}

/** Node coordinates (u along the long axis, v along the short axis) of a field pixel. */
export function toNodeFrame(s: NodeShape, x: number, y: number): { u: number; v: number } {
  const dx = x - s.cx;
  const dy = y - s.cy;
  return { u: dx * s.cos + dy * s.sin, v: -dx * s.sin + dy * s.cos };
}

export function fromNodeFrame(s: NodeShape, u: number, v: number): { x: number; y: number } {
  return { x: s.cx + u * s.cos - v * s.sin, y: s.cy + u * s.sin + v * s.cos };
}

/** Contour radius (1 = ellipse) at the polar angle of the normalised node coordinates. */
export function contourRadius(s: NodeShape, phi: number): number {
  let r = 1;
  for (const h of s.harmonics) r += h.amp * Math.cos(h.k * phi + h.phase);
  return r;
}

/** Normalised distance: < 1 inside the node, 1 on the contour. */
export function nodeDistance(s: NodeShape, u: number, v: number): number {
  const nu = u / s.a;
  const nv = v / s.b;
  return Math.sqrt(nu * nu + nv * nv) / contourRadiusFast(s, Math.atan2(nv, nu));
}

/** Conservative bounding box of the node in field pixels. */
export function nodeBounds(s: NodeShape, pad: number): { x0: number; y0: number; x1: number; y1: number } {
  const rmax = 1 + s.harmonics.reduce((acc, h) => acc + Math.abs(h.amp), 0);
  const ex = Math.sqrt((s.a * s.cos) ** 2 + (s.b * s.sin) ** 2) * rmax;
  const ey = Math.sqrt((s.a * s.sin) ** 2 + (s.b * s.cos) ** 2) * rmax;
  return { x0: s.cx - ex - pad, y0: s.cy - ey - pad, x1: s.cx + ex + pad, y1: s.cy + ey + pad };
}

/** Soft hilum membership (0..1) at node coordinates; includes the channel that reaches the capsule. */
export function hilumWeight(s: NodeShape, u: number, v: number): number {
  const h = s.hilum;
  if (!h) return 0;
  const du = (u - h.u) / h.ha;
  const dv = (v - h.v) / h.hb;
  const core = 1 - Math.sqrt(du * du + dv * dv);
  // The channel from the hilum centre out through the capsule, widening like a funnel towards the
  // capsule where the hilar fat is continuous with the perinodal fat.
  const beyond = (v - h.v) * h.side;
  const halfWidth = h.hb * (0.35 + 0.9 * Math.min(1, beyond / s.b));
  const channel = beyond > 0 ? 1 - Math.abs(u - h.u) / halfWidth : -1;
  const w = Math.max(core, channel);
  return w <= 0 ? 0 : Math.min(1, w * 4);
}

/**
 * Intranodal vessel trees following the vascular pattern of the class (Ahuja & Ying 2005; Dudea et al.):
 * hilar — a trunk entering through the hilum and branching radially towards the cortex;
 * peripheral — vessels running along the capsule and short perforators, not from the hilum;
 * mixed — both; avascular — none.
 */

import { fromNodeFrame, type NodeShape } from './node-shape';
import { pxFromMm } from './layout';
import type { Rng } from './rng';
import type { PhantomParams } from './types';

export interface VesselSegment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Lumen radius shown by colour Doppler (blooming included), pixels. */
  radius: number;
  /** Flow speed along the segment direction (x0,y0)→(x1,y1), cm/s; negative for flow the other way. */
  speed: number;
}

type Point = { u: number; v: number };

/** Walks a slightly curving path in node coordinates, stopping at the normalised radius `maxD`. */
function walk(rng: Rng, shape: NodeShape, start: Point, angle: number, lengthPx: number, maxD: number): Point[] {
  const pts: Point[] = [start];
  const step = pxFromMm(0.5);
  let { u, v } = start;
  let a = angle;
  // Curvature itself wanders (damped), so vessels bend smoothly instead of zig-zagging.
  let bend = rng.uniform(-0.08, 0.08);
  for (let s = 0; s < lengthPx; s += step) {
    bend = 0.8 * bend + rng.uniform(-0.14, 0.14);
    a += bend;
    u += Math.cos(a) * step;
    v += Math.sin(a) * step;
    if (Math.hypot(u / shape.a, v / shape.b) > maxD) break;
    pts.push({ u, v });
  }
  return pts;
}

function toSegments(shape: NodeShape, pts: Point[], radius: number, speed: number, out: VesselSegment[]): void {
  for (let i = 1; i < pts.length; i++) {
    const a = fromNodeFrame(shape, pts[i - 1]!.u, pts[i - 1]!.v);
    const b = fromNodeFrame(shape, pts[i]!.u, pts[i]!.v);
    // Taper towards the periphery.
    const r = Math.max(2, radius * (1 - (0.4 * i) / pts.length));
    out.push({ x0: a.x, y0: a.y, x1: b.x, y1: b.y, radius: r, speed });
  }
}

function hilarTree(p: PhantomParams, rng: Rng, shape: NodeShape, out: VesselSegment[]): void {
  const h = shape.hilum;
  const side = h ? h.side : rng.bool(0.5) ? 1 : -1;
  const hu = h ? h.u : rng.uniform(-0.2, 0.2) * shape.a;
  const hv = h ? h.v : 0;
  const entry = { u: hu, v: side * shape.b * 1.1 };
  const centre = { u: hu, v: hv };
  const trunkR = pxFromMm(rng.uniform(0.45, 0.75));
  // Artery and vein run together; flow into the node (artery) and out (vein).
  const artery = rng.bool(0.5);
  // The trunk bows a little on its way from the hilum to the centre (quadratic Bézier).
  const bow = { u: (entry.u + centre.u) / 2 + rng.uniform(-0.25, 0.25) * shape.b, v: (entry.v + centre.v) / 2 };
  const trunk = Array.from({ length: 7 }, (_, k) => {
    const t = k / 6;
    const a0 = (1 - t) * (1 - t);
    const a1 = 2 * t * (1 - t);
    const a2 = t * t;
    return { u: a0 * entry.u + a1 * bow.u + a2 * centre.u, v: a0 * entry.v + a1 * bow.v + a2 * centre.v };
  });
  toSegments(shape, trunk, trunkR, artery ? p.peakVelocityCms : -p.peakVelocityCms * 0.6, out);
  for (let k = 0; k < p.vesselCount; k++) {
    const towardsPositive = k % 2 === 0;
    const base = towardsPositive ? 0 : Math.PI;
    const angle = base + rng.uniform(-0.6, 0.6) - side * 0.25;
    const path = walk(rng, shape, centre, angle, shape.a * rng.uniform(0.6, 1.1), 0.88);
    const speed = (rng.bool(0.6) ? 1 : -0.6) * p.peakVelocityCms * rng.uniform(0.4, 0.9);
    toSegments(shape, path, trunkR * 0.8, speed, out);
    // One side branch from the middle of the path, as in a branching hilar tree.
    const mid = path[Math.floor(path.length / 2)];
    if (mid && rng.bool(0.7)) {
      const sub = walk(rng, shape, mid, angle + rng.uniform(0.5, 1.1) * (rng.bool(0.5) ? 1 : -1), shape.b * 0.8, 0.9);
      toSegments(shape, sub, trunkR * 0.6, speed * 0.7, out);
    }
  }
}

function peripheralVessels(p: PhantomParams, rng: Rng, shape: NodeShape, out: VesselSegment[]): void {
  for (let k = 0; k < p.vesselCount; k++) {
    // Capsular arc: a run of points at normalised radius ~0.9 over a random angular span.
    const phi0 = rng.uniform(0, 2 * Math.PI);
    const span = rng.uniform(0.3, 0.9) * (rng.bool(0.5) ? 1 : -1);
    const rr = rng.uniform(0.82, 0.95);
    const pts: Point[] = [];
    const steps = 8;
    for (let i = 0; i <= steps; i++) {
      const phi = phi0 + (span * i) / steps;
      pts.push({ u: Math.cos(phi) * shape.a * rr, v: Math.sin(phi) * shape.b * rr });
    }
    const speed = (rng.bool(0.5) ? 1 : -1) * p.peakVelocityCms * rng.uniform(0.4, 1);
    toSegments(shape, pts, pxFromMm(rng.uniform(0.35, 0.55)), speed, out);
    // Perforator from the capsule inward.
    if (rng.bool(0.6)) {
      const phi = phi0 + span / 2;
      const start = { u: Math.cos(phi) * shape.a * 1.05, v: Math.sin(phi) * shape.b * 1.05 };
      const inward = Math.atan2(-start.v, -start.u) + rng.uniform(-0.4, 0.4);
      const path = [start, ...walk(rng, shape, start, inward, Math.min(shape.a, shape.b) * 0.6, 1.2).slice(1)];
      toSegments(shape, path, pxFromMm(0.4), speed * 0.8, out);
    }
  }
}

export function generateVessels(p: PhantomParams, rng: Rng, shape: NodeShape): VesselSegment[] {
  const out: VesselSegment[] = [];
  if (p.vascularPattern === 'hilar' || p.vascularPattern === 'mixed') hilarTree(p, rng, shape, out);
  if (p.vascularPattern === 'peripheral' || p.vascularPattern === 'mixed') peripheralVessels(p, rng, shape, out);
  return out;
}

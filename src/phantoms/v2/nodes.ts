/**
 * The node (or matted cluster of nodes) of generator version 2, painted into the beam-grid scene.
 *
 * Shapes reuse version 1's node geometry (node-shape.ts) in world units of 0.1 mm, so version 1's
 * hilum funnel and vessel trees apply unchanged. Added: a cluster of touching nodes with soft-tissue
 * oedema around it (matting), coagulative necrosis (an echogenic focus without shadow), punctate
 * microcalcifications (bright, too small to shadow) and coarse calcifications (bright, shadowing).
 */

import { contourRadiusFast, hilumWeight, makeNodeShape, nodeBounds, type NodeShape } from '../node-shape';
import type { Rng } from '../rng';
import type { PhantomParams } from '../types';
import { LABEL, type NodeExtent, type SceneArrays } from './anatomy';
import { fieldNoise } from './field-noise';
import type { PhantomParamsV2 } from './params';
import { beamRange, LINES, type BeamGeometry } from './probe';

/** World units of the node shapes: 0.1 mm, as version 1's field pixels. */
export const UNITS_PER_MM = 10;

const STIFF = { soft: 10, stiff: 75, fluid: 5, calc: 300 };

export function clusterShapes(p: PhantomParamsV2, rng: Rng, g: BeamGeometry): NodeShape[] {
  const primary = makeNodeShape(p, rng);
  const shapes = [primary];
  const b = g.bounds;
  for (let k = 0; k < p.mattedCount; k++) {
    const scale = rng.uniform(0.55, 1);
    const base = shapes[rng.int(0, shapes.length - 1)]!;
    const ang = rng.uniform(-0.6, 0.6) + (rng.bool(0.5) ? 0 : Math.PI);
    const rBase = (base.a + base.b) / 2;
    const dist = (rBase + rBase * scale) * rng.uniform(0.75, 0.95);
    const cx = base.cx + Math.cos(ang) * dist;
    const cz = base.cy + Math.sin(ang) * dist * 0.6;
    const margin = (p.longAxisMm * scale) / 2 + 2;
    const sub: PhantomParams = {
      ...p,
      longAxisMm: p.longAxisMm * scale,
      shortAxisMm: p.shortAxisMm * scale * rng.uniform(0.85, 1.15),
      tiltDeg: p.tiltDeg + rng.uniform(-25, 25),
      centerXMm: Math.min(b.x1 - margin, Math.max(b.x0 + margin, cx / UNITS_PER_MM)),
      centerDepthMm: Math.min(
        g.depthMm - (p.shortAxisMm * scale) / 2 - 2,
        Math.max(p.skinMm + p.fatMm + margin / 2, cz / UNITS_PER_MM),
      ),
      hilumPresent: p.hilumPresent && rng.bool(0.6),
    };
    shapes.push(makeNodeShape(sub, rng));
  }
  return shapes;
}

export function clusterExtent(shapes: NodeShape[]): NodeExtent {
  let x0 = Infinity;
  let x1 = -Infinity;
  let z0 = Infinity;
  let z1 = -Infinity;
  for (const s of shapes) {
    const b = nodeBounds(s, 0);
    x0 = Math.min(x0, b.x0);
    x1 = Math.max(x1, b.x1);
    z0 = Math.min(z0, b.y0);
    z1 = Math.max(z1, b.y1);
  }
  const u = UNITS_PER_MM;
  return { x: (x0 + x1) / 2 / u, halfWidth: (x1 - x0) / 2 / u, top: z0 / u, bottom: z1 / u };
}

interface Focus {
  u: number;
  v: number;
  r: number;
  ph: number;
}

function cortexTexture(p: PhantomParams, fine: number, coarse: number): number {
  const ts = p.textureStrength;
  if (p.texture === 'homogeneous') return Math.exp(0.15 * ts * coarse);
  if (p.texture === 'heterogeneous') return Math.exp(0.8 * ts * coarse + 0.2 * fine);
  // Reticulated / micronodular: hypoechoic micronodules separated by thin echogenic strands.
  return 0.5 + 2.3 * ts * Math.exp(-((fine / 0.2) ** 2));
}

export function paintNodes(p: PhantomParamsV2, g: BeamGeometry, rng: Rng, shapes: NodeShape[], out: SceneArrays): void {
  const b = g.bounds;
  const fine = fieldNoise(rng, b, rng.uniform(0.9, 1.8));
  const coarse = fieldNoise(rng, b, rng.uniform(2, 4.5));
  const edgeNoise = fieldNoise(rng, b, 0.7);
  const stiffNoise = fieldNoise(rng, b, rng.uniform(1.8, 4));
  const threshold = stiffThreshold(p, shapes[0]!, stiffNoise);
  const cystic: Focus | null = p.necrosisPresent
    ? { u: rng.uniform(-0.4, 0.4), v: rng.uniform(-0.35, 0.35), r: Math.sqrt(p.necrosisFraction), ph: rng.uniform(0, 6.28) }
    : null;
  const coag: Focus | null = p.coagulativeNecrosis
    ? { u: rng.uniform(-0.45, 0.45), v: rng.uniform(-0.4, 0.4), r: rng.uniform(0.15, 0.32), ph: rng.uniform(0, 6.28) }
    : null;
  const nodeAtten = 0.2 + 0.4 * Math.min(1, p.echogenicity / 0.2);
  const sharp = p.borderSharpness;
  const edge = (0.12 + (1 - sharp) * 1.1) * UNITS_PER_MM;
  const oedema = p.mattedCount > 0 ? rng.uniform(1.4, 2.4) : 1;
  const { echo, atten, stiffness, labels } = out;
  const U = UNITS_PER_MM;
  for (let k = 0; k < shapes.length; k++) {
    const sh = shapes[k]!;
    // Neighbours of a cluster differ a little in echogenicity from the node the signs were drawn for.
    const echoScale = k === 0 ? 1 : Math.exp(rng.uniform(-0.3, 0.3));
    const rEff = Math.sqrt(sh.a * sh.b);
    const nb = nodeBounds(sh, edge * 2 + 2.5 * U);
    const range = beamRange(g, nb.x0 / U, nb.y0 / U, nb.x1 / U, nb.y1 / U);
    if (!range) continue;
    for (let j = range.j0; j <= range.j1; j++)
      for (let l = range.l0; l <= range.l1; l++) {
        const i = j * LINES + l;
        const X = g.x[i]! * U;
        const Z = g.z[i]! * U;
        if (X < nb.x0 || X > nb.x1 || Z < nb.y0 || Z > nb.y1) continue;
        const dx = X - sh.cx;
        const dz = Z - sh.cy;
        const u = dx * sh.cos + dz * sh.sin;
        const v = -dx * sh.sin + dz * sh.cos;
        const nu = u / sh.a;
        const nv = v / sh.b;
        const x = g.x[i]!;
        const z = g.z[i]!;
        const d =
          Math.sqrt(nu * nu + nv * nv) / contourRadiusFast(sh, Math.atan2(nv, nu)) + (1 - sharp) * 0.07 * edgeNoise.at(x, z);
        const sd = (1 - d) * rEff;
        const m = Math.min(1, Math.max(0, 0.5 + sd / edge));
        const capsule = sharp > 0.35 ? (sharp - 0.35) * 12 * Math.exp(-((sd / 1.3) ** 2)) : 0;
        if (m <= 0) {
          // Perinodal soft-tissue oedema around a matted cluster: brighter, blurred fat.
          if (oedema > 1 && sd > -2.5 * U && !(labels[i]! & LABEL.node)) echo[i] = echo[i]! * oedema;
          if (capsule > 0.05) echo[i] = echo[i]! + capsule;
          continue;
        }
        let e = p.echogenicity * echoScale * cortexTexture(p, fine.at(x, z), coarse.at(x, z));
        let a = nodeAtten;
        let s = STIFF.soft + (STIFF.stiff - STIFF.soft) * clamp01((stiffNoise.at(x, z) - threshold) * 3 + 0.5);
        const hw = hilumWeight(sh, u, v);
        if (hw > 0) {
          e += (5.5 * Math.exp(0.4 * coarse.at(x, z)) - e) * hw;
          a += (0.6 - a) * hw;
          s += (STIFF.soft - s) * hw;
        }
        let nw = 0;
        if (k === 0 && cystic) {
          nw = focusWeight(cystic, nu, nv, rEff, edgeNoise.at(x, z)) * (1 - hw);
          e += (0.004 * (1 + 2 * Math.max(0, fine.at(x, z))) - e) * nw;
          a += (0.03 - a) * nw;
          s += (STIFF.fluid - s) * nw;
        }
        let cw = 0;
        if (k === 0 && coag) {
          cw = focusWeight(coag, nu, nv, rEff, edgeNoise.at(x, z)) * (1 - hw) * (1 - nw);
          e += (3.5 * Math.exp(0.5 * fine.at(x, z)) - e) * cw; // echogenic, attenuates like the cortex: no shadow
        }
        echo[i] = echo[i]! + (e - echo[i]!) * m + capsule;
        atten[i] = atten[i]! + (a - atten[i]!) * m;
        stiffness[i] = stiffness[i]! + (s - stiffness[i]!) * m;
        if (d < 1) {
          // A node in front of a vessel hides it: the node's labels replace the vessel's.
          let lab = (labels[i]! & ~(LABEL.artery | LABEL.vein)) | LABEL.node;
          if (hw > 0.5) lab |= LABEL.hilum;
          if (nw > 0.5 || cw > 0.5) lab |= LABEL.necrosis;
          labels[i] = lab;
        }
      }
  }
  paintCalcifications(p, g, rng, shapes[0]!, out);
}

function focusWeight(f: Focus, nu: number, nv: number, rEff: number, noise: number): number {
  const ang = Math.atan2(nv - f.v, nu - f.u);
  const rn = f.r * (1 + 0.18 * Math.cos(3 * ang + f.ph) + 0.1 * noise);
  const du = nu - f.u;
  const dv = nv - f.v;
  return clamp01(((rn - Math.sqrt(du * du + dv * dv)) * rEff) / 2 + 0.5);
}

/** Threshold on the stiffness noise so that the stiff share of the node is p.stiffFraction. */
function stiffThreshold(p: PhantomParams, sh: NodeShape, noise: { at(x: number, z: number): number }): number {
  const values: number[] = [];
  for (let nu = -0.975; nu < 1; nu += 0.05) {
    for (let nv = -0.975; nv < 1; nv += 0.05) {
      if (nu * nu + nv * nv >= 1) continue;
      const u = nu * sh.a;
      const v = nv * sh.b;
      values.push(noise.at((sh.cx + u * sh.cos - v * sh.sin) / UNITS_PER_MM, (sh.cy + u * sh.sin + v * sh.cos) / UNITS_PER_MM));
    }
  }
  values.sort((a, b) => a - b);
  const k = Math.min(values.length - 1, Math.max(0, Math.floor((1 - p.stiffFraction) * values.length)));
  return p.stiffFraction <= 0 ? Infinity : p.stiffFraction >= 1 ? -Infinity : values[k]!;
}

function paintCalcifications(p: PhantomParamsV2, g: BeamGeometry, rng: Rng, sh: NodeShape, out: SceneArrays): void {
  const spots: { x: number; z: number; r: number; coarse: boolean }[] = [];
  const place = (count: number, coarse: boolean): void => {
    for (let c = 0; c < count; c++) {
      let cu = 0;
      let cv = 0;
      for (let t = 0; t < 20; t++, cu = 0, cv = 0) {
        cu = rng.uniform(-0.85, 0.85);
        cv = rng.uniform(-0.85, 0.85);
        // Well inside the (possibly lobulated) contour, so the focus belongs to the node.
        if (Math.sqrt(cu * cu + cv * cv) < 0.8 * contourRadiusFast(sh, Math.atan2(cv, cu))) break;
      }
      const u = cu * sh.a;
      const v = cv * sh.b;
      const x = (sh.cx + u * sh.cos - v * sh.sin) / UNITS_PER_MM;
      const z = (sh.cy + u * sh.sin + v * sh.cos) / UNITS_PER_MM;
      // A beam sample must fall inside a punctate focus, whatever the grid spacing.
      const minR = 0.6 * Math.max(g.axialStepMm, g.lateralStepMm);
      spots.push({ x, z, r: Math.max(minR, coarse ? rng.uniform(0.7, 1.8) : rng.uniform(0.08, 0.2)), coarse });
    }
  };
  place(p.calcificationCount, false);
  place(p.coarseCalcifications, true);
  if (spots.length === 0) return;
  const { echo, atten, stiffness, labels } = out;
  for (const c of spots) {
    const range = beamRange(g, c.x - c.r, c.z - c.r, c.x + c.r, c.z + c.r);
    if (!range) continue;
    for (let j = range.j0; j <= range.j1; j++)
      for (let l = range.l0; l <= range.l1; l++) {
        const i = j * LINES + l;
        const dx = g.x[i]! - c.x;
        const dz = g.z[i]! - c.z;
        if (dx * dx + dz * dz > c.r * c.r) continue;
        echo[i] = c.coarse ? 900 : 1500;
        // Coarse calcification shadows; punctate microcalcification is too small to (Ahuja & Ying 2005).
        atten[i] = c.coarse ? 40 : 3;
        stiffness[i] = STIFF.calc;
        labels[i] = labels[i]! | LABEL.calcification;
      }
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

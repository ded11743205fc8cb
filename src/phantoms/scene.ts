/**
 * The acoustic and mechanical scene of one case, in field pixels (FIELD_WIDTH × FIELD_HEIGHT,
 * x lateral, y depth): backscatter power, attenuation, stiffness, and the structure masks.
 * Rendering (speckle, Doppler, strain) only reads this. Its arrays are reused by the next case
 * (see pool.ts): copy anything that must outlive the rendering of this one.
 */

import { FIELD_HEIGHT, FIELD_WIDTH, pxFromMm } from './layout';
import { smoothNoise } from './noise';
import { reusableFloat32, reusableUint8 } from './pool';
import { contourRadiusFast, hilumWeight, makeNodeShape, nodeBounds, type NodeShape } from './node-shape';
import type { Rng } from './rng';
import type { PhantomParams } from './types';

export interface Lumen {
  kind: 'artery' | 'vein';
  cx: number;
  cy: number;
  rx: number;
  ry: number;
}

export interface Scene {
  width: number;
  height: number;
  /** Backscatter power, 1 = subcutaneous fat. */
  echo: Float32Array;
  /** Attenuation coefficient, dB/(cm·MHz). */
  atten: Float32Array;
  /** Young's modulus, kPa. */
  stiffness: Float32Array;
  node: Uint8Array;
  hilum: Uint8Array;
  necrosis: Uint8Array;
  calcifications: Uint8Array;
  shape: NodeShape;
  lumens: Lumen[];
}

// Backscatter power of the tissues (linear, relative to fat); the spread of these values in dB is
// what sets image contrast after log compression.
const ECHO = {
  skin: 9,
  fat: 1,
  septum: 7,
  muscle: 0.3,
  fascia: 10,
  connective: 1.6,
  hilum: 5.5,
  lumen: 0.002,
  wall: 7,
  fluid: 0.004,
  calc: 1500,
};
const ATTEN = { skin: 1.2, fat: 0.6, muscle: 1.0, connective: 0.7, hilum: 0.6, blood: 0.15, fluid: 0.03, calc: 14 };
const STIFF = { skin: 40, fat: 9, muscle: 24, connective: 15, artery: 35, vein: 4, soft: 10, stiff: 75, fluid: 5, calc: 300 };

export function buildScene(p: PhantomParams, rng: Rng): Scene {
  const width = FIELD_WIDTH;
  const height = FIELD_HEIGHT;
  const n = width * height;
  // Fully overwritten by the background pass, so stale contents do not matter.
  const echo = reusableFloat32('scene.echo', n);
  const atten = reusableFloat32('scene.atten', n);
  const stiffness = reusableFloat32('scene.stiffness', n);
  const shape = makeNodeShape(p, rng);

  const layers = layerBoundaries(p, rng, width, shape);
  paintBackground(layers, rng, echo, atten, stiffness, width, height);

  const lumens = placeLumens(p, rng, shape, layers.scmMaxPx);
  for (const l of lumens) paintLumen(l, echo, atten, stiffness, width, height);

  const masks = paintNode(p, rng, shape, echo, atten, stiffness, width, height);
  return { width, height, echo, atten, stiffness, ...masks, shape, lumens };
}

/** Background tissue is smooth at the pixel scale, so it is computed at half resolution and upsampled. */
const BG_SCALE = 2;

function paintBackground(
  layers: Layers,
  rng: Rng,
  echo: Float32Array,
  atten: Float32Array,
  stiffness: Float32Array,
  width: number,
  height: number,
): void {
  const hw = Math.ceil(width / BG_SCALE);
  const hh = Math.ceil(height / BG_SCALE);
  const he = reusableFloat32('background.echo', hw * hh);
  const ha = reusableFloat32('background.atten', hw * hh);
  const hs = reusableFloat32('background.stiffness', hw * hh);
  const fatTexture = smoothNoise(rng, hw, hh, 15, 5);
  const septa = smoothNoise(rng, hw, hh, 35, 7);
  const fibres = smoothNoise(rng, hw, hh, 30, 2);
  const deep = smoothNoise(rng, hw, hh, 12.5);
  for (let hy = 0; hy < hh; hy++) {
    const y = hy * BG_SCALE + 0.5;
    for (let hx = 0; hx < hw; hx++) {
      const i = hy * hw + hx;
      const cx = Math.min(width - 1, hx * BG_SCALE);
      const skinB = layers.skin[cx]!;
      const fatB = layers.fat[cx]!;
      const scmB = layers.scm[cx]!;
      const deepB = layers.deepMuscle[cx]!;
      let e: number;
      let a: number;
      let s: number;
      if (y < skinB) {
        e = ECHO.skin * Math.exp(0.3 * fatTexture[i]!);
        a = ATTEN.skin;
        s = STIFF.skin;
      } else if (y < fatB) {
        const sep = Math.abs(septa[i]!);
        e = ECHO.fat * Math.exp(0.35 * fatTexture[i]!) + (sep < 0.09 ? ECHO.septum * (1 - sep / 0.09) : 0);
        a = ATTEN.fat;
        s = STIFF.fat;
      } else if (y < scmB || y >= deepB) {
        // Muscle: hypoechoic with echogenic perimysium strands, bright fascia at its borders.
        const edge = Math.min(Math.abs(y - fatB), Math.abs(y - scmB), Math.abs(y - deepB));
        const strand = Math.abs(fibres[i]!) < 0.12 ? 4 : 0;
        e = edge < 2 ? ECHO.fascia : ECHO.muscle * (1 + strand) * Math.exp(0.3 * deep[i]!);
        a = ATTEN.muscle;
        s = STIFF.muscle;
      } else {
        e = ECHO.connective * Math.exp(0.7 * deep[i]!) + (Math.abs(septa[i]!) < 0.05 ? ECHO.septum * 0.6 : 0);
        a = ATTEN.connective;
        s = STIFF.connective;
      }
      he[i] = e;
      ha[i] = a;
      hs[i] = s;
    }
  }
  upsample(he, hw, hh, echo, width, height);
  upsample(ha, hw, hh, atten, width, height);
  upsample(hs, hw, hh, stiffness, width, height);
}

/** Bilinear upsampling by BG_SCALE. */
function upsample(src: Float32Array, sw: number, sh: number, dst: Float32Array, width: number, height: number): void {
  for (let y = 0; y < height; y++) {
    const fy = Math.min(sh - 1, Math.max(0, (y + 0.5) / BG_SCALE - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) / BG_SCALE - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = fx - x0;
      const a = src[y0 * sw + x0]! + (src[y0 * sw + x1]! - src[y0 * sw + x0]!) * wx;
      const b = src[y1 * sw + x0]! + (src[y1 * sw + x1]! - src[y1 * sw + x0]!) * wx;
      dst[y * width + x] = a + (b - a) * wy;
    }
  }
}

interface Layers {
  skin: Float32Array;
  fat: Float32Array;
  scm: Float32Array;
  deepMuscle: Float32Array;
  scmMaxPx: number;
}

function layerBoundaries(p: PhantomParams, rng: Rng, width: number, shape: NodeShape): Layers {
  const wobble = (amp: number): ((x: number) => number) => {
    const f1 = rng.uniform(0.5, 1.5) / width;
    const ph = rng.uniform(0, 2 * Math.PI);
    const slope = rng.uniform(-0.04, 0.04);
    return (x) => amp * Math.sin(2 * Math.PI * f1 * x + ph) + slope * (x - width / 2);
  };
  const skinW = wobble(2);
  const fatW = wobble(pxFromMm(1.5));
  const scmW = wobble(pxFromMm(2));
  const nodeBottom = nodeBounds(shape, 0).y1;
  const deepTop = Math.max(nodeBottom + pxFromMm(2), pxFromMm(rng.uniform(28, 36)));
  const deepW = wobble(pxFromMm(2));
  const skin = new Float32Array(width);
  const fat = new Float32Array(width);
  const scm = new Float32Array(width);
  const deepMuscle = new Float32Array(width);
  const nodeTop = nodeBounds(shape, pxFromMm(0.8)).y0;
  let scmMaxPx = 0;
  for (let x = 0; x < width; x++) {
    skin[x] = pxFromMm(p.skinMm) + skinW(x);
    fat[x] = skin[x]! + Math.max(pxFromMm(1), pxFromMm(p.fatMm) + fatW(x));
    // The muscle belly ends above the node: it lies on the node, it does not cross it.
    scm[x] =
      p.scmMm > 0
        ? Math.min(fat[x]! + Math.max(pxFromMm(1.5), pxFromMm(p.scmMm) + scmW(x)), Math.max(fat[x]!, nodeTop))
        : fat[x]!;
    deepMuscle[x] = deepTop + deepW(x);
    scmMaxPx = Math.max(scmMaxPx, scm[x]!);
  }
  return { skin, fat, scm, deepMuscle, scmMaxPx };
}

/** Carotid artery and internal jugular vein beside the node (transverse neck scan), away from it. */
function placeLumens(p: PhantomParams, rng: Rng, shape: NodeShape, belowPx: number): Lumen[] {
  if (!p.carotidPresent) return [];
  const nb = nodeBounds(shape, 0);
  const r = pxFromMm(rng.uniform(2.8, 3.8));
  const dir = shape.cx < FIELD_WIDTH / 2 ? 1 : -1;
  const gap = pxFromMm(rng.uniform(2, 6));
  const cx = dir > 0 ? nb.x1 + gap + r : nb.x0 - gap - r;
  const cy = Math.max(belowPx + r + pxFromMm(1.5), Math.min(FIELD_HEIGHT - r * 0.6, shape.cy + pxFromMm(rng.uniform(-2, 6))));
  const carotid: Lumen = { kind: 'artery', cx, cy, rx: r, ry: r };
  const vrx = pxFromMm(rng.uniform(3, 6));
  const vry = pxFromMm(rng.uniform(1.5, 3.5));
  const vein: Lumen = {
    kind: 'vein',
    cx: cx + dir * (r + vrx * 0.9 + pxFromMm(0.6)),
    cy: cy - r * rng.uniform(0.1, 0.8),
    rx: vrx,
    ry: vry,
  };
  return [carotid, vein];
}

function paintLumen(
  l: Lumen,
  echo: Float32Array,
  atten: Float32Array,
  stiffness: Float32Array,
  width: number,
  height: number,
): void {
  const wall = pxFromMm(l.kind === 'artery' ? 0.8 : 0.4);
  const x0 = Math.max(0, Math.floor(l.cx - l.rx - wall));
  const x1 = Math.min(width - 1, Math.ceil(l.cx + l.rx + wall));
  const y0 = Math.max(0, Math.floor(l.cy - l.ry - wall));
  const y1 = Math.min(height - 1, Math.ceil(l.cy + l.ry + wall));
  const rMean = (l.rx + l.ry) / 2;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = (x - l.cx) / l.rx;
      const dy = (y - l.cy) / l.ry;
      const d = Math.sqrt(dx * dx + dy * dy);
      const i = y * width + x;
      if (d < 1) {
        echo[i] = ECHO.lumen;
        atten[i] = ATTEN.blood;
        stiffness[i] = l.kind === 'artery' ? STIFF.artery : STIFF.vein;
      } else if ((d - 1) * rMean < wall) {
        echo[i] = ECHO.wall;
      }
    }
  }
}

interface NodeMasks {
  node: Uint8Array;
  hilum: Uint8Array;
  necrosis: Uint8Array;
  calcifications: Uint8Array;
}

function paintNode(
  p: PhantomParams,
  rng: Rng,
  shape: NodeShape,
  echo: Float32Array,
  atten: Float32Array,
  stiffness: Float32Array,
  width: number,
  height: number,
): NodeMasks {
  const n = width * height;
  const masks: NodeMasks = {
    node: reusableUint8('scene.node', n, true),
    hilum: reusableUint8('scene.hilum', n, true),
    necrosis: reusableUint8('scene.necrosis', n, true),
    calcifications: reusableUint8('scene.calcifications', n, true),
  };
  const sharp = p.borderSharpness;
  const edgePx = pxFromMm(0.12 + (1 - sharp) * 1.1);
  const rEff = Math.sqrt(shape.a * shape.b);
  const bounds = nodeBounds(shape, edgePx * 2 + pxFromMm(1.5));
  const x0 = Math.max(0, Math.floor(bounds.x0));
  const x1 = Math.min(width - 1, Math.ceil(bounds.x1));
  const y0 = Math.max(0, Math.floor(bounds.y0));
  const y1 = Math.min(height - 1, Math.ceil(bounds.y1));

  // Texture fields only over the node's bounding box: most of the field never needs them.
  const bw = Math.max(1, x1 - x0 + 1);
  const bh = Math.max(1, y1 - y0 + 1);
  const fine = smoothNoise(rng, bw, bh, pxFromMm(rng.uniform(1.2, 2)));
  const coarse = smoothNoise(rng, bw, bh, pxFromMm(rng.uniform(2.5, 4.5)));
  const edgeNoise = smoothNoise(rng, bw, bh, pxFromMm(0.8));
  const stiffNoise = smoothNoise(rng, bw, bh, pxFromMm(rng.uniform(2, 4)));
  const necrosis = p.necrosisPresent
    ? { u: rng.uniform(-0.4, 0.4), v: rng.uniform(-0.35, 0.35), r: Math.sqrt(p.necrosisFraction), ph: rng.uniform(0, 6.28) }
    : null;
  // Hypoechoic, cell-dense tissue scatters and absorbs little: posterior enhancement behind such nodes.
  const nodeAtten = 0.2 + 0.4 * Math.min(1, p.echogenicity / 0.2);
  const stiffThreshold = stiffnessThreshold(p, shape, stiffNoise, x0, x1, y0, y1, bw);
  const ts = p.textureStrength;

  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const i = y * width + x;
      const j = (y - y0) * bw + (x - x0);
      // Node frame (u along the long axis, v along the short axis), inlined: this loop is hot.
      const dx = x - shape.cx;
      const dy = y - shape.cy;
      const u = dx * shape.cos + dy * shape.sin;
      const v = -dx * shape.sin + dy * shape.cos;
      const nu = u / shape.a;
      const nv = v / shape.b;
      const rho = Math.sqrt(nu * nu + nv * nv);
      // Ill-defined borders (perinodal oedema, extracapsular spread) are also irregular at a fine scale.
      const d = rho / contourRadiusFast(shape, Math.atan2(nv, nu)) + (1 - sharp) * 0.07 * edgeNoise[j]!;
      const sdPx = (1 - d) * rEff;
      const m = Math.min(1, Math.max(0, 0.5 + sdPx / edgePx));
      const capsule = sharp > 0.35 ? (sharp - 0.35) * 12 * Math.exp(-((sdPx / 1.3) ** 2)) : 0;
      if (m <= 0 && capsule < 0.05) continue;

      let e = p.echogenicity * cortexTexture(p.texture, ts, fine[j]!, coarse[j]!);
      let a = nodeAtten;
      let s = STIFF.soft + (STIFF.stiff - STIFF.soft) * clamp01((stiffNoise[j]! - stiffThreshold) * 3 + 0.5);
      const hw = hilumWeight(shape, u, v);
      if (hw > 0) {
        e += (ECHO.hilum * Math.exp(0.4 * coarse[j]!) - e) * hw;
        a += (ATTEN.hilum - a) * hw;
        s += (STIFF.soft - s) * hw;
      }
      let nw = 0;
      if (necrosis) {
        const ang = Math.atan2(nv - necrosis.v, nu - necrosis.u);
        const rn = necrosis.r * (1 + 0.18 * Math.cos(3 * ang + necrosis.ph) + 0.1 * edgeNoise[j]!);
        const du = nu - necrosis.u;
        const dv = nv - necrosis.v;
        nw = clamp01(((rn - Math.sqrt(du * du + dv * dv)) * rEff) / 2 + 0.5) * (1 - hw);
        e += (ECHO.fluid * (1 + 2 * Math.max(0, fine[j]!)) - e) * nw;
        a += (ATTEN.fluid - a) * nw;
        s += (STIFF.fluid - s) * nw;
      }
      echo[i] = echo[i]! + (e - echo[i]!) * m + capsule;
      atten[i] = atten[i]! + (a - atten[i]!) * m;
      stiffness[i] = stiffness[i]! + (s - stiffness[i]!) * m;
      if (d < 1) {
        masks.node[i] = 1;
        if (hw > 0.5) masks.hilum[i] = 1;
        if (nw > 0.5) masks.necrosis[i] = 1;
      }
    }
  }
  paintCalcifications(p, rng, shape, echo, atten, stiffness, masks, width, height);
  return masks;
}

function cortexTexture(texture: PhantomParams['texture'], strength: number, fine: number, coarse: number): number {
  switch (texture) {
    case 'homogeneous':
      return Math.exp(0.15 * strength * coarse);
    case 'heterogeneous':
      return Math.exp(0.75 * strength * coarse + 0.2 * fine);
    case 'reticulated': {
      // Hypoechoic micronodules separated by thin echogenic strands (zero crossings of band-limited noise).
      const strand = Math.exp(-((fine / 0.2) ** 2));
      return 0.55 + 2.2 * strength * strand;
    }
  }
}

/** Threshold on the stiffness noise so that the stiff share of the node matches p.stiffFraction. */
function stiffnessThreshold(
  p: PhantomParams,
  shape: NodeShape,
  noise: Float32Array,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  /** Width of the noise buffer, which starts at (x0, y0). */
  width: number,
): number {
  const bins = new Uint32Array(256);
  let count = 0;
  for (let y = y0; y <= y1; y += 2) {
    for (let x = x0; x <= x1; x += 2) {
      const dx = x - shape.cx;
      const dy = y - shape.cy;
      const nu = (dx * shape.cos + dy * shape.sin) / shape.a;
      const nv = (-dx * shape.sin + dy * shape.cos) / shape.b;
      if (nu * nu + nv * nv >= 1) continue;
      const b = Math.min(255, Math.max(0, Math.floor((noise[(y - y0) * width + (x - x0)]! + 4) * 32)));
      bins[b] = bins[b]! + 1;
      count++;
    }
  }
  let above = 0;
  for (let b = 255; b >= 0; b--) {
    above += bins[b]!;
    if (above >= p.stiffFraction * count) return b / 32 - 4;
  }
  return -4;
}

function paintCalcifications(
  p: PhantomParams,
  rng: Rng,
  shape: NodeShape,
  echo: Float32Array,
  atten: Float32Array,
  stiffness: Float32Array,
  masks: NodeMasks,
  width: number,
  height: number,
): void {
  for (let c = 0; c < p.calcificationCount; c++) {
    let cu = 0;
    let cv = 0;
    // Rejection-sample a point well inside the node, favouring the periphery as in papillary carcinoma metastases.
    for (let t = 0; t < 20; t++) {
      cu = rng.uniform(-0.85, 0.85);
      cv = rng.uniform(-0.85, 0.85);
      if (cu * cu + cv * cv < 0.7) break;
    }
    const cx = shape.cx + cu * shape.a * shape.cos - cv * shape.b * shape.sin;
    const cy = shape.cy + cu * shape.a * shape.sin + cv * shape.b * shape.cos;
    const r = pxFromMm(rng.uniform(0.12, 0.3));
    for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
      for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        const i = y * width + x;
        echo[i] = ECHO.calc;
        atten[i] = ATTEN.calc * Math.min(1, r / pxFromMm(0.4));
        stiffness[i] = STIFF.calc;
        masks.calcifications[i] = 1;
      }
    }
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

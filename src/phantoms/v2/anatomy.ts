/**
 * Neck anatomy of generator version 2, evaluated at every beam sample: skin with its entry echo,
 * subcutaneous fat lobules with echogenic septa, the platysma (a thin muscle sheet) between fascia
 * lines, the sternocleidomastoid with a fibrillar (stippled, striated) texture and bright epimysium,
 * deep muscles, the carotid artery (round, anechoic, thick echogenic wall) and the internal jugular
 * vein (an oval flattened by probe pressure), and for level VI the edge of the thyroid lobe
 * (homogeneous, brighter than muscle). Tissue properties: backscatter power relative to fat,
 * attenuation dB/(cm·MHz), Young's modulus kPa (as version 1, docs/phantoms.md).
 */

import type { Rng } from '../rng';
import { fieldNoise } from './field-noise';
import type { PhantomParamsV2 } from './params';
import type { BeamGeometry } from './probe';

export const LABEL = { node: 1, hilum: 2, necrosis: 4, calcification: 8, artery: 16, vein: 32, thyroid: 64 } as const;

export interface Ellipse {
  cx: number;
  cz: number;
  rx: number;
  rz: number;
}

export interface Anatomy {
  carotid: Ellipse | null;
  jugular: Ellipse | null;
  thyroid: Ellipse | null;
}

export interface SceneArrays {
  echo: Float32Array;
  atten: Float32Array;
  stiffness: Float32Array;
  labels: Uint8Array;
}

interface LayerShape {
  skin: (s: number) => number;
  fat: (s: number) => number;
  scmBottom: (s: number) => number;
  deepTop: (s: number) => number;
}

function wobble(rng: Rng, amp: number, span: number): (s: number) => number {
  const f = rng.uniform(0.6, 1.8) / span;
  const f2 = rng.uniform(2, 4) / span;
  const ph = rng.uniform(0, 2 * Math.PI);
  const ph2 = rng.uniform(0, 2 * Math.PI);
  const slope = rng.uniform(-0.06, 0.06);
  return (s) => amp * (Math.sin(2 * Math.PI * f * s + ph) + 0.3 * Math.sin(2 * Math.PI * f2 * s + ph2)) + slope * s;
}

/** Bottom of the node cluster (mm below the skin) and its lateral position, to keep layers off it. */
export interface NodeExtent {
  x: number;
  top: number;
  bottom: number;
  halfWidth: number;
}

export function buildAnatomy(p: PhantomParamsV2, g: BeamGeometry, rng: Rng, extent: NodeExtent, out: SceneArrays): Anatomy {
  const span = g.bounds.x1 - g.bounds.x0;
  const skinW = wobble(rng, 0.15, span);
  const fatW = wobble(rng, 1.2, span);
  const deepW = wobble(rng, 2, span);
  const scmCentre = extent.x + rng.uniform(-8, 8);
  const scmHalf = rng.uniform(14, 26);
  const deepTopMm = Math.max(extent.bottom + rng.uniform(1.5, 5), g.depthMm * rng.uniform(0.7, 0.95));
  const layers: LayerShape = {
    skin: (s) => p.skinMm + skinW(s),
    fat: (s) => p.skinMm + Math.max(0.8, p.fatMm + fatW(s)),
    // The muscle belly is lens-shaped in cross-section and ends above the node, never crossing it.
    scmBottom: (s) => {
      const q = (s - scmCentre) / scmHalf;
      const t = p.scmMm > 0 && Math.abs(q) < 1 ? p.scmMm * Math.sqrt(1 - q * q) : 0;
      const top = layers.fat(s);
      return Math.abs(s - extent.x) < extent.halfWidth + 2 ? Math.min(top + t, Math.max(top, extent.top - 0.6)) : top + t;
    },
    deepTop: (s) => deepTopMm + deepW(s),
  };
  const platysma = p.level !== 'V' && rng.bool(0.7) ? rng.uniform(0.4, 1) : 0;
  const b = g.bounds;
  const lobules = fieldNoise(rng, b, rng.uniform(1.2, 2.5), rng.uniform(0.8, 1.5), rng.uniform(-0.3, 0.3));
  const septa = fieldNoise(rng, b, rng.uniform(3, 6), rng.uniform(0.6, 1.2), rng.uniform(-0.25, 0.25));
  // Fibrillar muscle: fascicles cut across appear as short echogenic lines along the muscle's axis.
  const fibreAngle = rng.uniform(-0.25, 0.25);
  const fibres = fieldNoise(rng, b, rng.uniform(2.5, 5), rng.uniform(0.25, 0.45), fibreAngle);
  const stipple = fieldNoise(rng, b, 0.5, 0.5);
  const deep = fieldNoise(rng, b, rng.uniform(2, 4));
  const thyroidTex = fieldNoise(rng, b, 0.6);

  const anatomy = placeStructures(p, g, rng, extent, layers);
  const { echo, atten, stiffness, labels } = out;
  const lines = g.dirX.length;
  // Skin coordinate s is the same all along a scan line (both probes): layer depths once per line.
  const skinL = new Float32Array(lines);
  const fatL = new Float32Array(lines);
  const scmL = new Float32Array(lines);
  const deepL = new Float32Array(lines);
  for (let l = 0; l < lines; l++) {
    const s0 = g.s[l]!;
    skinL[l] = layers.skin(s0);
    fatL[l] = layers.fat(s0);
    scmL[l] = layers.scmBottom(s0);
    deepL[l] = layers.deepTop(s0);
  }
  const n = echo.length;
  const perimysium = rng.uniform(2.5, 5);
  for (let i = 0; i < n; i++) {
    const l = i % lines;
    const d = g.d[i]!;
    const x = g.x[i]!;
    const z = g.z[i]!;
    let e: number;
    let a: number;
    let k: number;
    let lab = 0;
    const skin = skinL[l]!;
    const fat = fatL[l]!;
    const scm = scmL[l]!;
    const deepTop = deepL[l]!;
    if (d < 0.25) {
      e = 40; // entry echo of the probe–skin interface
      a = 1.2;
      k = 40;
    } else if (d < skin) {
      e = 9 * Math.exp(0.4 * stipple.at(x, z));
      a = 1.2;
      k = 40;
    } else if (d < fat) {
      const sep = Math.abs(septa.at(x, z));
      e = 0.9 * Math.exp(0.45 * lobules.at(x, z)) + (sep < 0.12 ? 7 * (1 - sep / 0.12) : 0);
      if (platysma > 0 && d > fat - platysma - 0.5 && d < fat - 0.5) e = 0.35 * Math.exp(0.4 * stipple.at(x, z));
      a = 0.6;
      k = 9;
    } else if (d < scm || d >= deepTop) {
      const edge = Math.min(Math.abs(d - fat), scm > fat ? Math.abs(d - scm) : 99, Math.abs(d - deepTop));
      const f = fibres.at(x, z);
      const strand = Math.abs(f) < 0.16 ? perimysium * (1 - Math.abs(f) / 0.16) : 0;
      e = edge < 0.3 ? 12 : 0.28 * (1 + strand) * Math.exp(0.35 * deep.at(x, z) + 0.3 * stipple.at(x, z));
      a = 1.0;
      k = 24;
    } else {
      // Fibro-fatty tissue of the posterior triangle / carotid space.
      const sep = Math.abs(septa.at(x, z));
      e = 1.5 * Math.exp(0.6 * deep.at(x, z)) + (sep < 0.06 ? 4 : 0);
      a = 0.7;
      k = 15;
      if (Math.abs(d - fat) < 0.25) e = 10; // investing fascia under the fat where no muscle covers it
    }
    const th = anatomy.thyroid;
    if (th && d > fat + 0.5) {
      const q = ((x - th.cx) / th.rx) ** 2 + ((z - th.cz) / th.rz) ** 2;
      if (q < 1) {
        e = q > 0.93 ? 9 : 3.2 * Math.exp(0.25 * thyroidTex.at(x, z));
        a = 0.8;
        k = 20;
        lab |= LABEL.thyroid;
      }
    }
    for (let q2 = 0; q2 < 2; q2++) {
      const isArtery = q2 === 0;
      const v = isArtery ? anatomy.carotid : anatomy.jugular;
      if (!v || Math.abs(x - v.cx) > v.rx + 1 || Math.abs(z - v.cz) > v.rz + 1) continue;
      const q = Math.sqrt(((x - v.cx) / v.rx) ** 2 + ((z - v.cz) / v.rz) ** 2);
      const wall = (isArtery ? 0.9 : 0.4) / Math.min(v.rx, v.rz);
      if (q < 1) {
        e = 0.002;
        a = 0.15; // blood: little attenuation, hence posterior enhancement
        k = isArtery ? 35 : 4;
        lab |= isArtery ? LABEL.artery : LABEL.vein;
      } else if (q < 1 + wall) {
        e = isArtery ? 8 : 5;
      }
    }
    echo[i] = e;
    atten[i] = a;
    stiffness[i] = k;
    labels[i] = lab;
  }
  return anatomy;
}

function placeStructures(p: PhantomParamsV2, g: BeamGeometry, rng: Rng, extent: NodeExtent, layers: LayerShape): Anatomy {
  const dir = extent.x < 0 ? 1 : -1;
  let carotid: Ellipse | null = null;
  let jugular: Ellipse | null = null;
  let thyroid: Ellipse | null = null;
  if (p.carotidPresent) {
    const r = rng.uniform(2.8, 4);
    const cx = extent.x + dir * (extent.halfWidth + rng.uniform(1.5, 6) + r);
    const minZ = layers.scmBottom(cx) + r + 1.2;
    const cz = Math.max(minZ, Math.min(g.depthMm - r - 2, (extent.top + extent.bottom) / 2 + rng.uniform(-2, 6)));
    carotid = { cx, cz, rx: r, rz: r };
    // Probe pressure flattens the jugular first (it is a low-pressure vein): compressible oval.
    const vr = rng.uniform(3.5, 6.5);
    const vrz = Math.max(0.4, vr * 0.7 * (1 - p.jugularCompression));
    jugular = {
      cx: cx + dir * (r + vr * 0.85 + 0.5),
      cz: Math.max(layers.scmBottom(cx) + vrz + 0.8, cz - r * rng.uniform(0, 0.7)),
      rx: vr,
      rz: vrz,
    };
  }
  if (p.level === 'VI') {
    // Thyroid lobe beside the node: paratracheal nodes lie along its edge.
    const rx = rng.uniform(8, 14);
    const rz = rng.uniform(6, 10);
    const cx = extent.x + dir * (extent.halfWidth + rng.uniform(0.5, 3) + rx);
    const cz = Math.max(layers.scmBottom(cx) + rz * 0.7, (extent.top + extent.bottom) / 2 + rng.uniform(-2, 4));
    thyroid = { cx, cz, rx, rz };
  }
  return { carotid, jugular, thyroid };
}

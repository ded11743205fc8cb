/**
 * Seeded pseudo-random numbers. Own implementation so that a seed gives the same phantom in Node,
 * in a browser and in a worker, whatever Math.random does there.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  bool(p: number): boolean;
  /** Index drawn with probability proportional to `weights`. */
  weighted(weights: readonly number[]): number;
}

/** Mixes several numbers/strings into one 32-bit seed (FNV-1a then a murmur finaliser). */
export function hashSeed(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = typeof part === 'number' ? part.toString(36) : part;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x2f;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  // mulberry32: tiny, fast, and good enough for image noise and parameter sampling.
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => nextUint32() / 4294967296;
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - next(); // (0, 1]: log stays finite
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    nextUint32,
    normal,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    bool: (p) => next() < p,
    weighted: (weights) => {
      const total = weights.reduce((a, b) => a + b, 0);
      let u = next() * total;
      for (let i = 0; i < weights.length; i++) {
        u -= weights[i]!;
        if (u < 0) return i;
      }
      return weights.length - 1;
    },
  };
}

const NORMAL_TABLE_BITS = 16;
let normalTable: Float32Array | null = null;

/** 65,536 standard normals from a fixed seed, shared by every speckle field. */
function getNormalTable(): Float32Array {
  if (normalTable) return normalTable;
  const rng = createRng(0x5eed5eed);
  const table = new Float32Array(1 << NORMAL_TABLE_BITS);
  for (let i = 0; i < table.length; i++) table[i] = rng.normal();
  normalTable = table;
  return table;
}

/**
 * Fills `out` with standard normals drawn at random from a fixed table: two draws per 32-bit random
 * number, several times faster than Box–Muller, which matters for 300k scatterers per image. With
 * 65,536 entries the samples are, for speckle purposes, independent Gaussians.
 */
export function fillNormal(rng: Rng, out: Float32Array): void {
  const table = getNormalTable();
  const n = out.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const u = rng.nextUint32();
    out[i] = table[u & 0xffff]!;
    out[i + 1] = table[u >>> 16]!;
  }
  if (i < n) out[i] = table[rng.nextUint32() & 0xffff]!;
}

/**
 * Percentile bootstrap that resamples patients, seeded so that every interval can be recomputed
 * from the exported per-case table. A resample is a multiset of patients; it reaches the statistic
 * as a weight per row (how many times the row's patient was drawn), which lets the statistics walk
 * orderings computed once instead of re-sorting every resample.
 *
 * Reproducibility rule: patients are taken in code-unit order of their ids (not row order), draws
 * use mulberry32 seeded with `seed`, patient j of P is drawn as floor(u · P) for each u in turn.
 * A resample on which a statistic is undefined (a class absent from it) is counted in
 * `undefinedResamples` and left out of that statistic's percentiles, never silently.
 */

/** mulberry32: a small 32-bit generator, good enough for resampling and easy to port. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** numpy's default (`linear`) percentile of sorted values, q in [0, 1]. */
export function percentileSorted(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Interval {
  lower: number | null;
  upper: number | null;
  level: number;
  resamples: number;
  /** Resamples on which the statistic was undefined and so not part of the interval. */
  undefinedResamples: number;
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided coverage, 0.95 by default. */
  level?: number;
}

export const DEFAULT_BOOTSTRAP = { resamples: 1000, seed: 20240515, level: 0.95 } as const;

/** Each row's index into the sorted list of distinct patients (the resampling units). */
export function patientIndex(patients: readonly string[]): { index: Int32Array; count: number } {
  const ids = [...new Set(patients)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const pos = new Map(ids.map((id, i) => [id, i]));
  return { index: Int32Array.from(patients, (p) => pos.get(p)!), count: ids.length };
}

/**
 * Intervals of every statistic `stat` returns, over `resamples` patient resamples. `stat` gets the
 * weight of each row (0 for rows of patients not drawn) and returns null where it is undefined.
 */
export function bootstrap<K extends string>(
  patients: readonly string[],
  stat: (weights: Float64Array) => Record<K, number | null>,
  options: BootstrapOptions = {},
): Record<K, Interval> {
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP.resamples;
  const level = options.level ?? DEFAULT_BOOTSTRAP.level;
  if (!(Number.isInteger(resamples) && resamples > 0)) throw new RangeError('resamples must be a positive integer');
  if (!(level > 0 && level < 1)) throw new RangeError('level must be in (0, 1)');
  const rand = mulberry32(options.seed ?? DEFAULT_BOOTSTRAP.seed);
  const { index, count } = patientIndex(patients);
  const drawn = new Float64Array(count);
  const weights = new Float64Array(patients.length);
  const values = new Map<K, number[]>();
  const undefinedCounts = new Map<K, number>();
  for (let r = 0; r < resamples; r++) {
    drawn.fill(0);
    for (let j = 0; j < count; j++) drawn[Math.floor(rand() * count)]! += 1;
    for (let i = 0; i < weights.length; i++) weights[i] = drawn[index[i]!]!;
    const out = stat(weights);
    for (const k of Object.keys(out) as K[]) {
      const v = out[k];
      if (!values.has(k)) {
        values.set(k, []);
        undefinedCounts.set(k, 0);
      }
      if (v === null || !Number.isFinite(v)) undefinedCounts.set(k, undefinedCounts.get(k)! + 1);
      else values.get(k)!.push(v);
    }
  }
  const result = {} as Record<K, Interval>;
  for (const [k, list] of values) {
    list.sort((a, b) => a - b);
    const defined = list.length > 0;
    result[k] = {
      lower: defined ? percentileSorted(list, (1 - level) / 2) : null,
      upper: defined ? percentileSorted(list, 1 - (1 - level) / 2) : null,
      level,
      resamples,
      undefinedResamples: undefinedCounts.get(k)!,
    };
  }
  return result;
}

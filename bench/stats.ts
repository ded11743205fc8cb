/** Percentiles as the benchmark reports them (linear interpolation between order statistics). */

import type { Stat } from './page/types';

export function stat(values: number[]): Stat {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    if (s.length === 0) return NaN;
    const k = (s.length - 1) * p;
    const lo = Math.floor(k);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (k - lo);
  };
  return {
    p50: q(0.5),
    p95: q(0.95),
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
    n: s.length,
    samples: values.map((v) => Math.round(v * 1000) / 1000),
  };
}

/** One Stat over the samples of several (interleaved) rounds. */
export function mergeStats(stats: (Stat | null | undefined)[]): Stat | null {
  const present = stats.filter((s): s is Stat => !!s);
  if (present.length === 0) return null;
  return stat(present.flatMap((s) => s.samples));
}

export function median(values: number[]): number {
  return stat(values).p50;
}

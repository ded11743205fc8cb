/**
 * Site adaptation of a pack's head on cached features, honest by construction: the classifier
 * (a Dense layer on the pooled features) is re-fitted by multinomial logistic regression that
 * starts from the pack's own head and is pulled back to it (L2 towards the original weights), and
 * every "after" number comes from patients the re-fitted head never saw (grouped k-fold, the folds
 * as scikit-learn's GroupKFold makes them). "Before" is the pack's head on the same cases. Macro
 * AUC and its patient-bootstrap CI come from src/validation (`evaluate`), the temperature is
 * re-fitted on the held-out logits, and the head finally fitted on all cases is returned for a new
 * pack version. Pure TS: runs in a worker, on features the runtime computed once per image.
 */

import { evaluate, type Evaluation } from '../validation';

export interface Head {
  /** TF layout: [inDim, numClasses], row-major. */
  kernel: Float32Array;
  bias: Float32Array;
  inDim: number;
  numClasses: number;
}

export interface AdaptInput {
  /** Pooled features per image (the Dense layer's input), each `head.inDim` long. */
  features: Float32Array[];
  /** Class index per image. */
  labels: number[];
  /** Patient id per image: folds and bootstrap resample patients, never images. */
  patients: string[];
  head: Head;
  /** The pack's temperature (for "before"). */
  temperature: number;
}

export interface AdaptOptions {
  folds?: number;
  /** Strength of the pull towards the pack's head. */
  l2?: number;
  iterations?: number;
  learningRate?: number;
  bootstrap?: { resamples?: number; seed?: number };
}

export interface AdaptResult {
  before: Evaluation;
  after: Evaluation;
  folds: number;
  /** Temperature re-fitted on the held-out logits of the re-fitted heads. */
  temperature: number;
  /** Fitted on every case: the head of the new pack version. */
  head: Head;
  /** Held-out logits per image (for the per-case table). */
  heldOutLogits: number[][];
}

export class AdaptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdaptError';
  }
}

/** GroupKFold: groups by size (largest first) each to the fold with the fewest images so far. */
export function groupKFold(patients: readonly string[], k: number): number[] {
  const size = new Map<string, number>();
  for (const p of patients) size.set(p, (size.get(p) ?? 0) + 1);
  if (size.size < k) throw new AdaptError(`${k}-fold cross-validation needs at least ${k} patients; there are ${size.size}`);
  const groups = [...size].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const load = new Array<number>(k).fill(0);
  const foldOf = new Map<string, number>();
  for (const [g, n] of groups) {
    let best = 0;
    for (let f = 1; f < k; f++) if (load[f]! < load[best]!) best = f;
    foldOf.set(g, best);
    load[best]! += n;
  }
  return patients.map((p) => foldOf.get(p)!);
}

export function logitsOf(head: Head, x: Float32Array): number[] {
  const out = Array.from(head.bias);
  for (let i = 0; i < head.inDim; i++) {
    const v = x[i]!;
    if (v === 0) continue;
    const row = i * head.numClasses;
    for (let c = 0; c < head.numClasses; c++) out[c]! += v * head.kernel[row + c]!;
  }
  return out;
}

export function softmax(logits: readonly number[], t = 1): number[] {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp((v - m) / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Full-batch Adam on the mean cross-entropy + l2·‖θ − θ₀‖², from θ₀ (the pack's head). */
export function fitHead(
  base: Head,
  xs: Float32Array[],
  ys: number[],
  o: Required<Pick<AdaptOptions, 'l2' | 'iterations' | 'learningRate'>>,
): Head {
  const K = base.numClasses;
  const D = base.inDim;
  const w = Float64Array.from(base.kernel);
  const b = Float64Array.from(base.bias);
  const n = xs.length;
  const gw = new Float64Array(w.length);
  const gb = new Float64Array(K);
  const m = [new Float64Array(w.length), new Float64Array(K)];
  const v = [new Float64Array(w.length), new Float64Array(K)];
  const z = new Float64Array(K);
  for (let it = 1; it <= o.iterations; it++) {
    gw.fill(0);
    gb.fill(0);
    for (let r = 0; r < n; r++) {
      const x = xs[r]!;
      z.set(b);
      for (let i = 0; i < D; i++) {
        const xi = x[i]!;
        if (xi !== 0) for (let c = 0; c < K; c++) z[c]! += xi * w[i * K + c]!;
      }
      let max = -Infinity;
      for (let c = 0; c < K; c++) max = Math.max(max, z[c]!);
      let sum = 0;
      for (let c = 0; c < K; c++) sum += z[c] = Math.exp(z[c]! - max);
      for (let c = 0; c < K; c++) z[c] = (z[c]! / sum - (c === ys[r] ? 1 : 0)) / n;
      for (let c = 0; c < K; c++) gb[c]! += z[c]!;
      for (let i = 0; i < D; i++) {
        const xi = x[i]!;
        if (xi !== 0) for (let c = 0; c < K; c++) gw[i * K + c]! += xi * z[c]!;
      }
    }
    for (let j = 0; j < w.length; j++) gw[j]! += 2 * o.l2 * (w[j]! - base.kernel[j]!);
    for (let c = 0; c < K; c++) gb[c]! += 2 * o.l2 * (b[c]! - base.bias[c]!);
    adamStep(w, gw, m[0]!, v[0]!, it, o.learningRate);
    adamStep(b, gb, m[1]!, v[1]!, it, o.learningRate);
  }
  return { kernel: Float32Array.from(w), bias: Float32Array.from(b), inDim: D, numClasses: K };
}

function adamStep(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, t: number, lr: number): void {
  const b1 = 0.9;
  const b2 = 0.999;
  for (let j = 0; j < p.length; j++) {
    m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
    v[j] = b2 * v[j]! + (1 - b2) * g[j]! * g[j]!;
    p[j]! -= (lr * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + 1e-8);
  }
}

/** The temperature minimising the negative log-likelihood of `logits` (golden-section on log T). */
export function fitTemperature(logits: readonly (readonly number[])[], labels: readonly number[]): number {
  const nll = (logT: number) => {
    const t = Math.exp(logT);
    let s = 0;
    logits.forEach((l, i) => (s -= Math.log(Math.max(1e-300, softmax(l, t)[labels[i]!]!))));
    return s;
  };
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const r = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 80; i++) {
    const a = hi - r * (hi - lo);
    const c = lo + r * (hi - lo);
    if (nll(a) < nll(c)) hi = c;
    else lo = a;
  }
  return Math.exp((lo + hi) / 2);
}

export function adaptHead(input: AdaptInput, options: AdaptOptions = {}): AdaptResult {
  const k = options.folds ?? 5;
  const fit = { l2: options.l2 ?? 1e-3, iterations: options.iterations ?? 200, learningRate: options.learningRate ?? 0.01 };
  const { features, labels, patients, head } = input;
  if (features.length !== labels.length || labels.length !== patients.length)
    throw new AdaptError('features, labels and patients differ in length');
  if (features.some((f) => f.length !== head.inDim)) throw new AdaptError(`every feature vector must have ${head.inDim} values`);
  const fold = groupKFold(patients, k);
  const heldOut: number[][] = new Array<number[]>(labels.length);
  for (let f = 0; f < k; f++) {
    const train = labels.flatMap((_, i) => (fold[i] === f ? [] : [i]));
    const fitted = fitHead(
      head,
      train.map((i) => features[i]!),
      train.map((i) => labels[i]!),
      fit,
    );
    labels.forEach((_, i) => {
      if (fold[i] === f) heldOut[i] = logitsOf(fitted, features[i]!);
    });
  }
  const temperature = fitTemperature(heldOut, labels);
  const scores = (logits: number[][], t: number) => ({
    labels,
    patients,
    classCount: head.numClasses,
    probs: logits.map((l) => softmax(l, t)),
  });
  const before = evaluate(
    scores(
      features.map((x) => logitsOf(head, x)),
      input.temperature,
    ),
    options.bootstrap,
  );
  const after = evaluate(scores(heldOut, temperature), options.bootstrap);
  return { before, after, folds: k, temperature, head: fitHead(head, features, labels, fit), heldOutLogits: heldOut };
}

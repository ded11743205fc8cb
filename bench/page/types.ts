/** What one benchmark page run reports back to bench/run.ts (window.__benchResult). */

import type { WasmKernels, WebGpuKernels } from '../../src/runtime/protocol';

export interface Stat {
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
  n: number;
  /** Every measurement, in run order. */
  samples: number[];
}

export interface PageParams {
  engine: 'app' | 'ort';
  /** app: a tfjs backend; ort: an execution provider. */
  backend: 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  manifest: string;
  onnx: string;
  runs: number;
  /** Analyses between the two tensor counts (0 skips the leak check). */
  leakRuns: number;
  /** Repetitions of the three-modality analysis (0 skips it). */
  tripleRuns: number;
  /** Images in the throughput batch (0 skips it; app only). */
  throughput: number;
}

/** Images per second over one batch, as a validation run queues them (one request at a time). */
export interface Throughput {
  /** Images (one modality) or cases (every modality) in the batch. */
  images: number;
  /** `images` analyses of B-mode, one after the other. */
  oneModality: { ms: number; imagesPerS: number };
  /** `images` cases, each analysed on every modality of the pack (`modalities` analyses per case). */
  allModalities: { modalities: number; ms: number; imagesPerS: number; casesPerS: number };
  /**
   * `images` B-mode images three ways, interleaved in `rounds` slices (a shared machine's load moves
   * all three alike): `analyze` one at a time (with Grad-CAM, as validation ran before), `classify-batch`
   * with one crop per request (no Grad-CAM, no batching), and `classify-batch` in groups of `group`.
   */
  batched?: {
    group: number;
    rounds: number;
    analyze: { ms: number; imagesPerS: number };
    classifyOne: { ms: number; imagesPerS: number };
    classifyBatch: { ms: number; imagesPerS: number };
  };
}

export interface PageResult {
  ok: boolean;
  error?: string;
  engine: PageParams['engine'];
  backend: string;
  /** The backend the app actually used (after its own checks) or the ORT provider. */
  activeBackend: string;
  crossOriginIsolated: boolean;
  wasmThreads: number | null;
  /** The app on wasm: its whole wasm heap at the end of the run (weights, activations, kernel copies). */
  wasmHeapBytes?: number | null;
  /** The app on wasm: which kernels ran its convolutions. */
  wasmKernels?: WasmKernels;
  /** The app on webgpu: which kernels ran its convolutions (the app's WGSL ones, in f32 or f16, or tfjs's). */
  webgpuKernels?: WebGpuKernels;
  adapter: string | null;
  userAgent: string;
  hardwareConcurrency: number;
  /** Navigation start → first probabilities on screen data (ms). */
  coldStartMs: number;
  /** Breakdown of the cold start. */
  cold: {
    scriptStartMs: number;
    readyMs: number;
    loadMs?: number;
    downloadMs?: number;
    buildMs?: number;
    warmupMs?: number;
    firstAnalysisMs: number;
  };
  /** Wall time of the analysis right after the first (the "second analysis"). */
  secondAnalysisMs: number;
  runs: number;
  /** Forward pass only (app: worker-side timings.inferenceMs; ort: tensor + session.run + read). */
  inference: Stat;
  /** Grad-CAM on top of the forward pass (app only). */
  gradcam: Stat | null;
  /** One full analysis as the UI sees it (app: client.analyze round trip; ort: preprocess + run). */
  analysis: Stat;
  /** Three modalities analysed one after the other, as the UI does (app only). */
  triple: Stat | null;
  logits: number[];
  tensors: { before: number; after: number; analyses: number } | null;
  /** The app: throughput over a batch (bench/page/main.ts), absent where not run. */
  throughput?: Throughput | null;
  /** Filled in by bench/run.ts (CDP Runtime.getHeapUsage of the page and its workers, sampled). */
  heap?: { peakBytes: number; method: string; samples: number };
}

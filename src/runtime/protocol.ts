/**
 * The one message protocol between the UI thread and the inference worker. Both sides validate
 * what they receive (protocol-check.ts: `isWorkerRequest` in the worker, `checkWorkerResponse` in
 * the client): a message is data crossing a boundary, and a malformed one must become a clear
 * error, not a crash.
 */

import type { InputCheckOutcome } from '../analysis';
import type { BackendId, NodeFinding } from '../domain';
import type { Manifest, Modality } from '../model-pack';

/** A compute backend (the ids and their order are `BACKEND_IDS` in src/domain). */
export type BackendName = BackendId;
export type BackendChoice = BackendName | 'auto';

/** 8-bit RGBA pixels of the ROI crop; `data` is transferred, not copied. */
export interface PixelsMessage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export type WorkerRequest =
  | { type: 'init'; id: number; manifestUrl: string; backend: BackendChoice }
  | { type: 'analyze'; id: number; modality: Modality; pixels: PixelsMessage }
  /** The input checks of a region (docs/input-checks.md): pixel rules, then the pack's learned checks. */
  | { type: 'check'; id: number; modality: Modality; pixels: PixelsMessage }
  /** The pooled features and logits of a crop (site adaptation, src/adaptation). */
  | { type: 'features'; id: number; modality: Modality; pixels: PixelsMessage }
  /**
   * Calibrated probabilities of up to MAX_CLASSIFY_BATCH crops of one modality in one forward pass
   * (validation runs: no Grad-CAM). Each crop's `data` is transferred.
   */
  | { type: 'classify-batch'; id: number; modality: Modality; images: PixelsMessage[] }
  | { type: 'stats'; id: number }
  | { type: 'dispose'; id: number }
  // --- node finder: the node in an image (point: click-to-outline, image pixels) ---
  | { type: 'find-node'; id: number; modality: Modality; pixels: PixelsMessage; point?: { x: number; y: number } };

export interface SkippedBackend {
  backend: BackendName;
  reason: string;
}

/** How automatic choice ordered the backends (backends/choice.ts); absent for a forced backend. */
export interface BackendDecision {
  /** remembered: from an earlier visit; probed: software GPUs recognised; measured: timed; order: the registry's order. */
  basis: 'remembered' | 'probed' | 'measured' | 'order';
  /** Why, one line each: devices recognised, times measured (ms per candidate). */
  notes: string[];
}

export interface WasmKernels {
  /** `lymphscope`: the app's own kernels (runtime/conv); `xnnpack`: tfjs's. */
  convolutions: 'lymphscope' | 'xnnpack';
  threads: number;
  /** The app's kernels only: built for Relaxed SIMD (fused multiply-add) or plain 128-bit SIMD. */
  simd?: 'relaxed' | 'simd128';
  /** The app's kernels only: modalities whose convolutions run in int8 (their pack allows it; Relaxed SIMD). */
  int8?: Modality[];
  /** Why fewer threads or tfjs's kernels run, when that is not the plan. */
  note?: string;
}

export interface WebGpuKernels {
  /** `lymphscope`: the app's own convolution kernels (runtime/webgpu-conv); `tfjs`: tfjs's. */
  convolutions: 'lymphscope' | 'tfjs';
  /** The app's kernels only: f32, or f16 operands with f32 sums (`shader-f16` adapters, when asked). */
  precision?: 'f32' | 'f16';
  /** The app's kernels only: their pipelines ready at `ready` (one per kernel variant in use). */
  pipelines?: number;
  /** Why tfjs's kernels or f32 run when that is not what was asked, or a pipeline failed. */
  note?: string;
}

export interface ReadyMessage {
  type: 'ready';
  id: number;
  backend: BackendName;
  skipped: SkippedBackend[];
  manifest: Manifest;
  loadMs: number;
  warmupMs: number;
  /** wasm backend only: threads it runs with (1 without cross-origin isolation). */
  wasmThreads?: number;
  /** wasm backend only: which kernels run its convolutions, on how many threads. */
  wasmKernels?: WasmKernels;
  /** webgpu backend only: which kernels run its convolutions. */
  webgpuKernels?: WebGpuKernels;
  /** `auto` only: how the backend was chosen. */
  decision?: BackendDecision;
  /** Where init's time went: fetching + verifying the pack, building the models (ms). */
  downloadMs?: number;
  buildMs?: number;
}

/** What one modality's analysis yields (engine result and message payload alike). */
export interface ModalityAnalysis {
  modality: Modality;
  /** Pre-softmax logits, class order of the manifest. */
  logits: number[];
  /** softmax(logits / temperature). */
  probabilities: number[];
  /** One Grad-CAM map per class, each camHeight × camWidth, values in [0, 1] (row-major). */
  cams: Float32Array[];
  /** Per class: true when that map is all zero (no positive evidence at the Grad-CAM layer), not a failure. */
  camEmpty: boolean[];
  camWidth: number;
  camHeight: number;
  backend: BackendName;
  timings: { preprocessMs: number; inferenceMs: number; gradcamMs: number };
}

export interface ResultMessage extends ModalityAnalysis {
  type: 'result';
  id: number;
}

/** The input checks' verdict on one region (analysis/input-check.ts). */
export interface CheckMessage extends InputCheckOutcome {
  type: 'check';
  id: number;
  modality: Modality;
}

/** A crop's pooled features (the output layer's input; `features` is transferred) and its logits. */
export interface FeaturesMessage {
  type: 'features';
  id: number;
  modality: Modality;
  features: Float32Array;
  /** Pre-softmax, class order of the manifest. */
  logits: number[];
}

/** Crops per `classify-batch` request: enough to fill the kernels, few enough to keep the heap small. */
export const MAX_CLASSIFY_BATCH = 32;

/** One crop of a batch: its logits and calibrated probabilities, or why that crop alone failed. */
export type BatchItem = { ok: true; logits: number[]; probabilities: number[] } | { ok: false; code: ErrorCode; message: string };

/** The answer to `classify-batch`: one item per crop, in request order. */
export interface ClassifyBatchMessage {
  type: 'classify-batch';
  id: number;
  modality: Modality;
  items: BatchItem[];
  backend: BackendName;
  /** The batch's forward pass alone (ms); 0 when no crop reached it. */
  inferenceMs: number;
}

export interface StatsMessage {
  type: 'stats';
  id: number;
  numTensors: number;
  numBytes: number;
  backend: BackendName;
  /** wasm only: size of the backend's heap. */
  wasmHeapBytes?: number;
}

/** The node finder's answer: the node, or null when it is unsure. */
export interface NodeMessage {
  type: 'node';
  id: number;
  finding: NodeFinding | null;
  /** Preprocessing + model + geometry, in the worker. */
  ms: number;
}

export const ERROR_CODES = [
  'pack-invalid',
  'pack-integrity',
  'pack-unavailable',
  'no-backend',
  'not-ready',
  'bad-input',
  'inference-failed',
  'bad-message',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorMessage {
  type: 'error';
  id: number;
  code: ErrorCode;
  message: string;
}

/** Sent unprompted when the active backend fails (e.g. WebGPU device lost) and another took over. */
export interface BackendChangedMessage {
  type: 'backend-changed';
  id: -1;
  backend: BackendName;
  reason: string;
}

/**
 * Where init stands, in order: `download` (the pack's files arriving; `loaded` counts the bytes
 * downloaded *and* SHA-256-verified, of `total`), `backend` (choosing and starting the compute
 * backend, overlapping the download), `build` (building the models on it), `warmup` (first run).
 */
export const PROGRESS_STAGES = ['download', 'backend', 'build', 'warmup'] as const;
export type ProgressStage = (typeof PROGRESS_STAGES)[number];

export interface ProgressMessage {
  type: 'progress';
  id: number;
  stage: ProgressStage;
  /** download only (required there): bytes downloaded and verified so far, and of how many. */
  loaded?: number;
  total?: number;
  /** warmup on a GPU backend: shader pipelines compiled so far, of how many (none: no count yet). */
  shaders?: { done: number; total: number };
}

export type WorkerResponse =
  | ReadyMessage
  | ResultMessage
  | CheckMessage
  | FeaturesMessage
  | ClassifyBatchMessage
  | StatsMessage
  | ErrorMessage
  | BackendChangedMessage
  | ProgressMessage
  | NodeMessage;

/**
 * The model pack and the inference runtime's life cycle: which pack, which backend, whether the
 * worker is ready. Analyses go through `analyze`, which returns the shared result model; the
 * worker's wire messages stop here. This file never touches tfjs.
 */

import type { InputCheckOutcome } from '../../analysis';
import type { ModalityAnalysis, ModalityId } from '../../domain';
import { DEFAULT_CROP, type RgbaImage } from '../../imaging';
import { manifestUrlFor, parsePackIndex, type Manifest, type PackIndex } from '../../model-pack';
import {
  createRuntimeClient,
  MAX_CLASSIFY_BATCH,
  type BackendChoice,
  type BatchItem,
  type BackendDecision,
  type BackendName,
  type ClientErrorCode,
  type ProgressStage,
  type RuntimeClient,
  type SkippedBackend,
  type WasmKernels,
  type WebGpuKernels,
} from '../../runtime';
import type { NodeFinderClient } from './node.svelte';
import { analysisFromWire } from './wire';

export type AppError = { code: ClientErrorCode | 'index-unavailable'; detail?: string };

export type RuntimePhase = 'starting' | 'ready' | 'failed';

/**
 * Where start-up stands: `loading` until the worker reports, then its stages in order. `loaded` /
 * `total` are the pack's bytes downloaded and SHA-256-verified (kept through the later stages);
 * `shaders` the GPU shader pipelines compiled so far during the warm-up, of how many.
 */
export interface StartupProgress {
  stage: 'loading' | ProgressStage;
  loaded: number;
  total: number;
  shaders?: { done: number; total: number };
}

const BACKEND_KEY = 'lymphscope.backend';

function storedBackend(): BackendChoice {
  try {
    const v = localStorage.getItem(BACKEND_KEY);
    if (v === 'webgpu' || v === 'webgl' || v === 'wasm' || v === 'cpu') return v;
  } catch {
    // storage unavailable (private mode, Node): fall back to automatic choice
  }
  return 'auto';
}

export function toAppError(e: unknown): AppError {
  const o = e as { code?: string; message?: string };
  const code = (o && typeof o.code === 'string' ? o.code : 'inference-failed') as AppError['code'];
  return { code, detail: o?.message };
}

export interface RuntimeOptions {
  /** absolute URL of the pack index */
  indexUrl: string;
  /** pack id asked for (e.g. `?pack=`), or null for the index's default */
  requestedPack?: string | null;
  client?: RuntimeClient;
  fetchFn?: (url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;
}

export class RuntimeState {
  phase = $state<RuntimePhase>('starting');
  progress = $state.raw<StartupProgress | null>(null);
  manifest = $state.raw<Manifest | null>(null);
  backend = $state<BackendName | null>(null);
  skipped = $state.raw<SkippedBackend[]>([]);
  /** wasm only: which kernels run the convolutions, on how many threads. */
  wasmKernels = $state.raw<WasmKernels | null>(null);
  webgpuKernels = $state.raw<WebGpuKernels | null>(null);
  /** How automatic choice picked the backend (null when the user forced one). */
  decision = $state.raw<BackendDecision | null>(null);
  backendChoice = $state<BackendChoice>(storedBackend());
  backendNote = $state<string | null>(null);
  error = $state<AppError | null>(null);
  /** URL of the loaded pack's manifest (the offline copy of a non-bundled pack is keyed by it). */
  manifestUrl = $state<string | null>(null);
  readonly indexUrl: string;
  private readonly requestedPack: string | null;
  private readonly client: RuntimeClient;
  private readonly fetchFn: NonNullable<RuntimeOptions['fetchFn']>;
  private finderListeners: ((finder: NodeFinderClient | null) => void)[] = [];
  private currentFinder: NodeFinderClient | null = null;

  constructor(opts: RuntimeOptions) {
    this.indexUrl = opts.indexUrl;
    this.requestedPack = opts.requestedPack ?? null;
    this.fetchFn = opts.fetchFn ?? ((url) => fetch(url));
    this.client = opts.client ?? createRuntimeClient();
    this.client.onBackendChanged(({ backend, reason }) => {
      this.backend = backend;
      this.backendNote = reason;
    });
    this.client.onCrash(() => {
      // Pending calls are rejected by the client; the images in the slots stay where they are.
      this.backend = null;
      this.fail({ code: 'worker-crashed' });
    });
  }

  /** Reads the pack index, then loads the pack it names. */
  async start(): Promise<void> {
    this.phase = 'starting';
    this.error = null;
    let index: PackIndex;
    try {
      const res = await this.fetchFn(this.indexUrl);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      index = parsePackIndex(await res.json());
    } catch (e) {
      this.fail({ code: 'index-unavailable', detail: (e as Error).message });
      return;
    }
    await this.load(manifestUrlFor(index, this.indexUrl, this.requestedPack));
  }

  /** Loads, verifies and warms up the pack at `manifestUrl` on the chosen backend. */
  async load(manifestUrl: string): Promise<void> {
    this.manifestUrl = manifestUrl;
    this.phase = 'starting';
    this.progress = { stage: 'loading', loaded: 0, total: 0 };
    // The previous pack's finder and crop convention no longer apply.
    this.setFinder(null);
    try {
      const ready = await this.client.init(manifestUrl, this.backendChoice, (p) => {
        const before = this.progress ?? { loaded: 0, total: 0 };
        this.progress =
          p.stage === 'download'
            ? { stage: 'download', loaded: p.loaded ?? 0, total: p.total ?? 0 }
            : { stage: p.stage, loaded: before.loaded, total: before.total, ...(p.shaders ? { shaders: p.shaders } : {}) };
      });
      this.manifest = ready.manifest;
      this.backend = ready.backend;
      this.skipped = ready.skipped;
      this.wasmKernels = ready.wasmKernels ?? null;
      this.webgpuKernels = ready.webgpuKernels ?? null;
      this.decision = ready.decision ?? null;
      this.phase = 'ready';
      this.error = null;
      this.setFinder(this.finderFor(ready.manifest));
    } catch (e) {
      this.fail(toAppError(e));
    } finally {
      this.progress = null;
    }
  }

  async setBackendChoice(choice: BackendChoice): Promise<void> {
    this.backendChoice = choice;
    try {
      localStorage.setItem(BACKEND_KEY, choice);
    } catch {
      // not remembered, still applied
    }
    this.backendNote = null;
    if (this.manifestUrl) await this.load(this.manifestUrl);
  }

  async retry(): Promise<void> {
    if (this.manifestUrl) await this.load(this.manifestUrl);
    else await this.start();
  }

  /** One modality's analysis of an ROI crop, as the shared result model. */
  async analyze(modality: ModalityId, crop: RgbaImage): Promise<ModalityAnalysis> {
    const m = this.manifest;
    if (!m) throw Object.assign(new Error('no model loaded'), { code: 'not-ready' });
    return analysisFromWire(await this.client.analyze(modality, crop), m.id);
  }

  /**
   * Calibrated probabilities of several ROI crops of one modality, one batched forward pass per
   * MAX_CLASSIFY_BATCH crops (validation runs; no Grad-CAM). One item per crop, in order.
   */
  async classifyBatch(modality: ModalityId, crops: readonly RgbaImage[]): Promise<BatchItem[]> {
    if (!this.manifest) throw Object.assign(new Error('no model loaded'), { code: 'not-ready' });
    const items: BatchItem[] = [];
    for (let i = 0; i < crops.length; i += MAX_CLASSIFY_BATCH) {
      items.push(...(await this.client.classifyBatch(modality, crops.slice(i, i + MAX_CLASSIFY_BATCH))).items);
    }
    return items;
  }

  /** The pooled features and logits of an ROI crop (site adaptation). */
  async features(modality: ModalityId, crop: RgbaImage): Promise<{ features: Float32Array; logits: number[] }> {
    if (!this.manifest) throw Object.assign(new Error('no model loaded'), { code: 'not-ready' });
    const { features, logits } = await this.client.features(modality, crop);
    return { features, logits };
  }

  /** The input checks of an ROI crop (docs/input-checks.md). */
  async check(modality: ModalityId, crop: RgbaImage): Promise<InputCheckOutcome> {
    if (!this.manifest) throw Object.assign(new Error('no model loaded'), { code: 'not-ready' });
    const { verdict, looksLike, learned, quality, scores } = await this.client.check(modality, crop);
    return {
      verdict,
      learned,
      ...(looksLike ? { looksLike } : {}),
      ...(quality ? { quality } : {}),
      ...(scores ? { scores } : {}),
    };
  }

  async tensorStats() {
    return this.client.stats();
  }

  /**
   * The learned node finder of the loaded pack, with the crop convention its manifest declares
   * (none declared: the image area). Listeners hear it now and on every change (pack loaded,
   * changed, failed); null when the pack has no finder or the runtime is not ready.
   */
  onFinderChanged(listener: (finder: NodeFinderClient | null) => void): void {
    this.finderListeners.push(listener);
    listener(this.currentFinder);
  }

  private finderFor(m: Manifest): NodeFinderClient | null {
    if (!m.nodeFinder) return null;
    const client = this.client;
    return {
      crop: m.crop ?? DEFAULT_CROP,
      proposeNode: (modality, image) => client.proposeNode(modality, image),
      outlineAt: (modality, image, at) => client.outlineAt(modality, image, at),
    };
  }

  private setFinder(finder: NodeFinderClient | null): void {
    if (finder === this.currentFinder) return;
    this.currentFinder = finder;
    for (const l of this.finderListeners) l(finder);
  }

  private fail(err: AppError): void {
    this.setFinder(null);
    this.error = err;
    this.phase = 'failed';
  }
}

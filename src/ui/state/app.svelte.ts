/**
 * Application state: the model pack, the compute backend, the three input slots and the results.
 * All model work goes through the runtime client (a Web Worker); this file never touches tfjs.
 */

import { fuse } from '../../analysis/fusion';
import { buildCaseRecord, type CaseRecord } from '../../history';
import { cropRgba, fullRect, type Rect, type RgbaImage } from '../../imaging';
import { CLASS_IDS, isBackendId, MODALITY_IDS as MODALITIES, type ClassId, type ModalityId as Modality } from '../../domain';
import type { Manifest } from '../../model-pack/manifest';
import { manifestUrlFor, parsePackIndex, type PackIndex } from '../../model-pack/index-file';
import {
  createRuntimeClient,
  type BackendChoice,
  type BackendName,
  type ClientErrorCode,
  type ResultMessage,
  type RuntimeClient,
  type SkippedBackend,
  type WasmKernels,
} from '../../runtime';
import { i18n } from '../../i18n/index.svelte';
import { createSlots, type SlotState } from './slot.svelte';
import { version as APP_VERSION } from '../../../package.json';

export interface ModalityResult {
  result: ResultMessage;
  /** The exact ROI pixels the model saw, for the heatmap view and the report. */
  crop: RgbaImage;
  /** Slot revision the result belongs to. */
  revision: number;
  /** The region and the whole (decoded) image it was cut from, as analysed; kept for the case history. */
  roi: Rect;
  source: RgbaImage;
}

export type AppError = { code: ClientErrorCode | 'index-unavailable'; detail?: string };

export type DemoClass = ClassId;

export type Phase = 'starting' | 'ready' | 'analyzing' | 'failed';

const BACKEND_KEY = 'lymphscope.backend';

function storedBackend(): BackendChoice {
  try {
    const v = localStorage.getItem(BACKEND_KEY);
    if (isBackendId(v)) return v;
  } catch {
    // storage unavailable (private mode): fall back to automatic choice
  }
  return 'auto';
}

export class AppState {
  readonly slots: Record<Modality, SlotState> = createSlots();
  phase = $state<Phase>('starting');
  progress = $state<string | null>(null);
  manifest = $state.raw<Manifest | null>(null);
  backend = $state<BackendName | null>(null);
  skipped = $state.raw<SkippedBackend[]>([]);
  /** wasm only: which kernels run the convolutions, on how many threads. */
  wasmKernels = $state.raw<WasmKernels | null>(null);
  backendChoice = $state<BackendChoice>(storedBackend());
  backendNote = $state<string | null>(null);
  error = $state<AppError | null>(null);
  results = $state.raw<Partial<Record<Modality, ModalityResult>>>({});
  heatmapClass = $state(0);
  heatmapOpacity = $state(0.55);
  private lastDemo = $state<{ cls: DemoClass; seed: number } | null>(null);
  /** Id of the history case the current results are saved as (null: not saved). */
  savedCaseId = $state<string | null>(null);
  /** The history case the current results were reopened from. */
  reopenedFrom = $state.raw<CaseRecord | null>(null);

  private client: RuntimeClient;
  /** URL of the loaded pack's manifest (the offline copy of a non-bundled pack is keyed by it). */
  manifestUrl: string | null = null;

  /**
   * @param indexUrl absolute URL of the pack index
   * @param requestedPack pack id asked for (e.g. `?pack=`), or null for the index's default
   */
  constructor(
    readonly indexUrl: string,
    private readonly requestedPack: string | null,
  ) {
    this.client = createRuntimeClient();
    this.client.onBackendChanged(({ backend, reason }) => {
      this.backend = backend;
      this.backendNote = reason;
    });
    this.client.onCrash(() => {
      // Pending calls are rejected by the client; the images in the slots stay where they are.
      this.backend = null;
      this.phase = 'failed';
      this.error = { code: 'worker-crashed' };
    });
  }

  get fused(): number[] | null {
    const m = this.manifest;
    if (!m) return null;
    const probs: Partial<Record<Modality, number[]>> = {};
    for (const [mod, r] of Object.entries(this.results) as [Modality, ModalityResult][]) probs[mod] = r.result.probabilities;
    return fuse(m.fusion, probs);
  }

  /** The simulated case the slots hold (any slot still showing it), so it is labelled as such. */
  get demo(): { cls: DemoClass; seed: number } | null {
    return MODALITIES.some((m) => this.slots[m].image?.kind === 'simulated') ? this.lastDemo : null;
  }

  get canAnalyze(): boolean {
    return this.phase === 'ready' && MODALITIES.some((m) => this.slots[m].image !== null && this.manifest?.modalities[m]);
  }

  async start(): Promise<void> {
    this.phase = 'starting';
    this.error = null;
    let index: PackIndex;
    try {
      const res = await fetch(this.indexUrl);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      index = parsePackIndex(await res.json());
    } catch (e) {
      this.fail({ code: 'index-unavailable', detail: (e as Error).message });
      return;
    }
    this.manifestUrl = manifestUrlFor(index, this.indexUrl, this.requestedPack);
    await this.initRuntime();
  }

  private async initRuntime(): Promise<void> {
    if (!this.manifestUrl) return;
    this.phase = 'starting';
    this.progress = 'loading';
    try {
      const ready = await this.client.init(this.manifestUrl, this.backendChoice, (p) => (this.progress = p.stage));
      this.manifest = ready.manifest;
      this.backend = ready.backend;
      this.skipped = ready.skipped;
      this.wasmKernels = ready.wasmKernels ?? null;
      this.phase = 'ready';
      this.error = null;
    } catch (e) {
      this.fail(this.toAppError(e));
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
    await this.initRuntime();
  }

  async retry(): Promise<void> {
    if (this.manifestUrl) await this.initRuntime();
    else await this.start();
  }

  /** Analyses every slot that has an image; other slots' results are dropped as out of date. */
  async analyze(): Promise<void> {
    const m = this.manifest;
    if (!m || this.phase !== 'ready') return;
    this.phase = 'analyzing';
    this.error = null;
    const results: Partial<Record<Modality, ModalityResult>> = {};
    try {
      for (const mod of MODALITIES) {
        const slot = this.slots[mod];
        if (!slot.image || !slot.roi || !m.modalities[mod]) continue;
        const crop = cropRgba(slot.image.pixels, slot.roi);
        // The worker takes ownership of the pixels it is sent; the crop itself stays for display.
        const result = await this.client.analyze(mod, {
          width: crop.width,
          height: crop.height,
          data: new Uint8ClampedArray(crop.data),
        });
        results[mod] = { result, crop, revision: slot.revision, roi: { ...slot.roi }, source: slot.image.pixels };
      }
      this.results = results;
      this.savedCaseId = null;
      this.reopenedFrom = null;
      this.phase = 'ready';
    } catch (e) {
      const err = this.toAppError(e);
      this.error = err;
      this.phase = err.code === 'worker-crashed' ? 'failed' : 'ready';
    }
  }

  /** True while there is unsaved work on screen (an update waits for it; see the PWA prompt). */
  get caseInProgress(): boolean {
    const hasImages = MODALITIES.some((m) => this.slots[m].image !== null);
    return this.phase === 'analyzing' || (hasImages && this.savedCaseId === null);
  }

  /** The current results as a history case, or null when there are none. */
  caseRecord(opts: { label?: string; note?: string; keepScreenshots?: boolean } = {}): CaseRecord | null {
    if (this.reopenedFrom)
      return { ...this.reopenedFrom, label: opts.label ?? this.reopenedFrom.label, note: opts.note ?? this.reopenedFrom.note };
    const m = this.manifest;
    const entries = Object.entries(this.results) as [Modality, ModalityResult][];
    if (!m || !this.backend || entries.length === 0) return null;
    return buildCaseRecord({
      manifest: m,
      backend: this.backend,
      appVersion: APP_VERSION,
      ...opts,
      fused: this.fused,
      results: Object.fromEntries(
        entries.map(([mod, r]) => [
          mod,
          {
            crop: r.crop,
            roi: r.roi,
            source: r.source,
            logits: r.result.logits,
            probabilities: r.result.probabilities,
            cams: r.result.cams,
            camEmpty: r.result.camEmpty,
            camWidth: r.result.camWidth,
            camHeight: r.result.camHeight,
          },
        ]),
      ),
    });
  }

  /** Puts a saved case back on screen: its regions (or full images, if kept) in the slots, its results below. */
  reopen(record: CaseRecord): void {
    const results: Partial<Record<Modality, ModalityResult>> = {};
    for (const mod of MODALITIES) {
      const slot = this.slots[mod];
      const res = record.results[mod];
      if (!res) {
        slot.clear();
        continue;
      }
      const img = res.screenshot ?? res.crop;
      const pixels: RgbaImage = { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
      const roi = res.screenshot ? { ...res.roi } : fullRect(img.width, img.height);
      slot.image = { pixels, sourceWidth: img.width, sourceHeight: img.height, downscaled: false, kind: 'history' };
      slot.fileName = record.label || null;
      slot.roi = roi;
      slot.warning = null;
      slot.error = null;
      slot.revision++;
      const cams = res.cams ?? {
        width: 1,
        height: 1,
        maps: record.model.classes.map(() => new Float32Array(1)),
        empty: record.model.classes.map(() => true),
      };
      results[mod] = {
        result: {
          type: 'result',
          id: -1,
          modality: mod,
          logits: [...res.logits],
          probabilities: [...res.probabilities],
          cams: cams.maps,
          camEmpty: cams.empty,
          camWidth: cams.width,
          camHeight: cams.height,
          backend: record.backend,
          timings: { preprocessMs: 0, inferenceMs: 0, gradcamMs: 0 },
        },
        crop: { width: res.crop.width, height: res.crop.height, data: new Uint8ClampedArray(res.crop.data) },
        revision: slot.revision,
        roi,
        source: pixels,
      };
    }
    this.results = results;
    this.savedCaseId = record.id;
    this.reopenedFrom = record;
    this.error = null;
  }

  /**
   * Fills the three slots with a freshly simulated node (docs/phantoms.md), each with the crop a
   * sonographer would draw. The simulator is loaded on first use only.
   */
  async loadDemoCase(cls: DemoClass | null): Promise<void> {
    const { generateCase, PIXEL_SPACING_MM } = await import('../../phantoms');
    const chosen = cls ?? CLASS_IDS[Math.floor(Math.random() * CLASS_IDS.length)]!;
    const seed = Math.floor(Math.random() * 900_000) + 100_000;
    const c = generateCase({ seed, cls: chosen });
    const m = i18n.m;
    for (const mod of MODALITIES) {
      // The simulator renders the modalities it models; the slot of any other stays as it is.
      const pixels: RgbaImage | undefined = (c.images as Partial<Record<Modality, RgbaImage>>)[mod];
      const roi: Rect | undefined = (c.rois as Partial<Record<Modality, Rect>>)[mod];
      if (!pixels || !roi) continue;
      const decoded = {
        pixels,
        sourceWidth: pixels.width,
        sourceHeight: pixels.height,
        downscaled: false,
        kind: 'simulated',
        pixelSpacingMm: { x: PIXEL_SPACING_MM, y: PIXEL_SPACING_MM },
      };
      this.slots[mod].loadPixels(decoded, m.demo.fileName(m.demo.classes[chosen], seed, m.modality[mod]), roi);
    }
    this.results = {};
    this.lastDemo = { cls: chosen, seed };
  }

  isStale(mod: Modality): boolean {
    const r = this.results[mod];
    return r !== undefined && r.revision !== this.slots[mod].revision;
  }

  async tensorStats() {
    return this.client.stats();
  }

  private fail(err: AppError): void {
    this.error = err;
    this.phase = 'failed';
  }

  private toAppError(e: unknown): AppError {
    const o = e as { code?: string; message?: string };
    const code = (o && typeof o.code === 'string' ? o.code : 'inference-failed') as AppError['code'];
    return { code, detail: o?.message };
  }
}

/**
 * Site adaptation, the page's side: a labelled folder picked and mapped exactly as for a validation
 * (ValidationSetup), each image of the chosen modality prepared as a validation run prepares it
 * (validation-batch.ts: decode, region, crop) and its pooled features computed in the inference
 * worker, with progress and cancel; then the head is re-fitted in the adaptation worker and the
 * before/after macro AUCs on held-out patients are shown. Only on the user's accept is the new
 * version stored (as a new local pack, never over the base).
 */

/* eslint-disable svelte/prefer-svelte-reactivity -- the sets here are temporaries of a computation, never state. */

import type { Adapted, AdaptClient } from '../../adaptation';
import type { ModalityId } from '../../domain';
import { decodeImageFile, type RgbaImage } from '../../imaging';
import type { Manifest } from '../../model-pack';
import type { RunImage } from '../../validation';
import type { Decoder } from './slot.svelte';
import { prepareImage, type Prepared } from './validation-batch';
import { ValidationSetup } from './validation-setup.svelte';

export type AdaptPhase = 'setup' | 'extracting' | 'fitting' | 'done' | 'saving' | 'saved';

/** What adaptation needs of the runtime (RuntimeState in the page). */
export interface AdaptRuntime {
  readonly manifest: Manifest | null;
  readonly manifestUrl: string | null;
  readonly phase: string;
  features(modality: ModalityId, crop: RgbaImage): Promise<{ features: Float32Array; logits: number[] }>;
}

export interface AdaptOptions {
  decode?: Decoder;
  /** The adaptation worker, started on first use. */
  client: () => AdaptClient;
  /** Stores the new version's files as a local pack; resolves with its id. */
  save: (files: { path: string; bytes: Uint8Array }[]) => Promise<string | null>;
  /** Bootstrap resamples (1000 by default). */
  resamples?: number;
  now?: () => number;
}

export class AdaptationState {
  readonly setup = new ValidationSetup();
  phase = $state<AdaptPhase>('setup');
  modality = $state<ModalityId | ''>('');
  wholeImage = $state(false);
  done = $state(0);
  total = $state(0);
  /** Images that could not be used (unreadable, other modality…). */
  skipped = $state(0);
  error = $state<string | null>(null);
  result = $state.raw<Adapted | null>(null);
  /** Seconds: feature extraction (decode + network) and head re-fitting. */
  timings = $state.raw<{ extractS: number; fitS: number } | null>(null);
  savedId = $state<string | null>(null);
  private cancelRequested = false;
  private client: AdaptClient | null = null;
  private readonly decode: Decoder;

  constructor(
    private readonly runtimeOf: () => AdaptRuntime,
    private readonly opts: AdaptOptions,
  ) {
    this.decode = opts.decode ?? decodeImageFile;
  }

  private get runtime(): AdaptRuntime {
    return this.runtimeOf();
  }

  get classes(): string[] {
    return this.runtime.manifest?.classes.map((c) => c.id) ?? [];
  }

  /** The modalities of the mapped images that the pack has a model for. */
  get modalities(): ModalityId[] {
    const plan = this.setup.plan(this.classes);
    const m = this.runtime.manifest;
    if (!plan.ok || !m) return [];
    return [...new Set(plan.images.map((i) => i.modality))].filter((x) => m.modalities[x] !== undefined);
  }

  /** The images that will be used, or null while the set is not ready. */
  get images(): RunImage[] | null {
    const plan = this.setup.plan(this.classes);
    const modality = this.modality || this.modalities[0];
    return plan.ok && modality ? plan.images.filter((i) => i.modality === modality) : null;
  }

  /** Patients among the images that will be used. */
  get patients(): number {
    return new Set((this.images ?? []).map((i) => i.patientId)).size;
  }

  get canStart(): boolean {
    return (
      this.runtime.phase === 'ready' &&
      this.images !== null &&
      this.patients >= 5 &&
      (this.phase === 'setup' || this.phase === 'done' || this.phase === 'saved')
    );
  }

  cancel(): void {
    if (this.phase === 'extracting') this.cancelRequested = true;
  }

  async start(): Promise<void> {
    const images = this.images;
    const m = this.runtime.manifest;
    const url = this.runtime.manifestUrl;
    if (!this.canStart || !images || !m || !url) return;
    const modality = images[0]!.modality;
    this.phase = 'extracting';
    this.error = null;
    this.result = null;
    this.savedId = null;
    this.timings = null;
    this.cancelRequested = false;
    this.done = 0;
    this.skipped = 0;
    this.total = images.length;
    const now = this.opts.now ?? (() => performance.now());
    const t0 = now();
    const features: Float32Array[] = [];
    const labels: number[] = [];
    const patients: string[] = [];
    const deps = { decode: this.decode, modalities: new Set(Object.keys(m.modalities) as ModalityId[]) };
    const prepare = (i: number) => prepareImage(deps, images[i]!, this.setup.file(images[i]!.path), this.wholeImage);
    let next: Promise<Prepared> | null = images.length > 0 ? prepare(0) : null;
    try {
      for (let i = 0; i < images.length && next !== null && !this.cancelRequested; i++) {
        const ready = await next;
        // The next image is decoded and cut while the inference worker runs this one.
        next = i + 1 < images.length && !this.cancelRequested ? prepare(i + 1) : null;
        if (!ready.ok) this.skipped++;
        else {
          try {
            features.push((await this.runtime.features(modality, ready.crop)).features);
            labels.push(images[i]!.classIndex);
            patients.push(images[i]!.patientId);
          } catch (e) {
            if ((e as { code?: unknown }).code !== 'bad-input') throw e;
            this.skipped++;
          }
        }
        this.done = i + 1;
      }
    } catch (e) {
      this.error = (e as Error).message;
      this.phase = 'setup';
      return;
    } finally {
      await next?.catch(() => undefined);
    }
    if (this.cancelRequested) {
      this.phase = 'setup';
      return;
    }
    const extractS = (now() - t0) / 1000;
    this.phase = 'fitting';
    try {
      this.client ??= this.opts.client();
      this.result = await this.client.adapt({
        manifestUrl: url,
        modality,
        features,
        labels,
        patients,
        dataset: `${this.setup.source ?? 'local folder'} (${modality})`.slice(0, 200),
        ...(this.opts.resamples ? { resamples: this.opts.resamples } : {}),
      });
      this.timings = { extractS, fitS: this.result.fitMs / 1000 };
      this.phase = 'done';
    } catch (e) {
      this.error = (e as Error).message;
      this.phase = 'setup';
    }
  }

  /** Stores the adapted version as a new local pack (the base pack stays as it is). */
  async accept(): Promise<void> {
    const r = this.result;
    if (!r || this.phase !== 'done') return;
    this.phase = 'saving';
    try {
      this.savedId = await this.opts.save(r.files);
      this.phase = this.savedId ? 'saved' : 'done';
    } catch (e) {
      this.error = (e as Error).message;
      this.phase = 'done';
    }
  }

  dispose(): void {
    this.client?.dispose();
    this.client = null;
  }
}

/**
 * The validation view's controller: the set and the user's answers (ValidationSetup), the batch run
 * with progress, cancel and resume, and the results computed from what the store holds. Results go
 * to IndexedDB one image at a time (crops go to the model in groups, validation-batch.ts); the same folder with the same answers continues the stored run,
 * and the results of a stored run can be shown without its files (after a reload, say).
 */

/* eslint-disable svelte/prefer-svelte-reactivity -- the maps and dates here are plain values (results are copied whole into $state.raw), never watched in place. */

import type { ModalityId } from '../../domain';
import { decodeImageFile, type RgbaImage } from '../../imaging';
import type { Manifest } from '../../model-pack';
import {
  evaluateTable,
  formatCaseTable,
  packFingerprint,
  runCounts,
  runKey,
  runTable,
  ValidationStore,
  type CaseTable,
  type GroupEvaluation,
  type ImageResult,
  type RunSpec,
  type RunSummary,
  type StoredRun,
} from '../../validation';
import { toAppError, type AppError } from './runtime.svelte';
import type { Decoder } from './slot.svelte';
import { BatchStopped, runBatch, type Classified } from './validation-batch';
import { ValidationSetup } from './validation-setup.svelte';

export type ValidationPhase = 'setup' | 'running' | 'stopped' | 'done';

/** What the run needs of the runtime (RuntimeState in the page). */
export interface ValidationRuntime {
  readonly manifest: Manifest | null;
  readonly phase: string;
  /** Probabilities of crops of one modality, batched (RuntimeState.classifyBatch); one item per crop. */
  classifyBatch(modality: ModalityId, crops: readonly RgbaImage[]): Promise<Classified[]>;
}

export interface ValidationOptions {
  decode?: Decoder;
  store?: ValidationStore;
  /** Bootstrap resamples (1000 by default; tests may use fewer). */
  resamples?: number;
  now?: () => number;
  /** Images per classify-batch group (BATCH_SIZE by default). */
  batchSize?: number;
}

export class ValidationState {
  readonly setup = new ValidationSetup();
  readonly store: ValidationStore;
  phase = $state<ValidationPhase>('setup');
  wholeImage = $state(false);
  run = $state.raw<StoredRun | null>(null);
  /** Results of the run so far (probabilities only: a few numbers per image). */
  results = $state.raw<ReadonlyMap<string, ImageResult>>(new Map());
  done = $state(0);
  total = $state(0);
  /** Images per second in this session of the run (not counting results found already stored). */
  rate = $state<number | null>(null);
  /** The engine stopped the run (worker crash…); the results so far are kept. */
  error = $state<AppError | null>(null);
  /** The browser's storage refused (quota, private mode): said apart, with its message. */
  storageError = $state<string | null>(null);
  storedRuns = $state.raw<RunSummary[]>([]);
  groups = $state.raw<GroupEvaluation[]>([]);
  table = $state.raw<CaseTable | null>(null);
  private cancelRequested = false;
  private readonly decode: Decoder;
  private readonly resamples: number | undefined;
  private readonly now: () => number;
  private readonly batchSize: number | undefined;
  private fingerprint: { manifest: Manifest; sha256: string } | null = null;

  constructor(
    private readonly runtime: ValidationRuntime,
    opts: ValidationOptions = {},
  ) {
    this.decode = opts.decode ?? decodeImageFile;
    this.batchSize = opts.batchSize;
    this.store = opts.store ?? new ValidationStore();
    this.resamples = opts.resamples;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Seconds left at the current rate, or null before it is known. */
  get remaining(): number | null {
    return this.rate === null || this.rate <= 0 ? null : (this.total - this.done) / this.rate;
  }

  get classes(): string[] {
    return this.runtime.manifest?.classes.map((c) => c.id) ?? [];
  }

  async packSha256(): Promise<string> {
    const m = this.runtime.manifest;
    if (!m) throw new Error('no pack loaded');
    if (this.fingerprint?.manifest !== m) this.fingerprint = { manifest: m, sha256: await packFingerprint(m.files) };
    return this.fingerprint.sha256;
  }

  async refreshRuns(): Promise<void> {
    try {
      this.storedRuns = await this.store.runs();
    } catch (e) {
      this.storageError = (e as Error).message;
    }
  }

  /** Starts (or continues) the run the current answers describe. */
  async start(): Promise<void> {
    const m = this.runtime.manifest;
    if (!m || this.runtime.phase !== 'ready' || this.phase === 'running') return;
    const plan = this.setup.plan(this.classes);
    if (!plan.ok) return;
    const pack = { id: m.id, version: m.version, sha256: await this.packSha256() };
    const base = {
      pack,
      classes: this.classes,
      wholeImage: this.wholeImage,
      grouping: this.setup.groupingText,
      images: plan.images,
    };
    const spec: RunSpec = { ...base, key: await runKey(base), created: new Date().toISOString() };
    this.error = null;
    this.storageError = null;
    let run: StoredRun;
    try {
      run = await this.store.startRun(spec);
    } catch (e) {
      this.storageError = (e as Error).message;
      return;
    }
    await this.continueRun(run);
  }

  /** Runs the images of `run` that have no result yet, with the files picked now. */
  private async continueRun(run: StoredRun): Promise<void> {
    const m = this.runtime.manifest!;
    const stored = await this.store.results(run);
    const results = new Map(stored);
    this.run = run;
    this.results = results;
    this.total = run.images.length;
    this.done = results.size;
    this.rate = null;
    this.groups = [];
    this.table = null;
    const todo = run.images.filter((i) => !results.has(i.path));
    this.cancelRequested = false;
    this.phase = 'running';
    const t0 = this.now();
    let doneHere = 0;
    try {
      await runBatch(
        {
          decode: this.decode,
          classify: (mod, crops) => this.runtime.classifyBatch(mod, crops),
          store: this.store,
          modalities: new Set(Object.keys(m.modalities) as ModalityId[]),
          ...(this.batchSize === undefined ? {} : { batchSize: this.batchSize }),
        },
        {
          key: run.key,
          images: todo,
          file: (p) => this.setup.file(p),
          wholeImage: run.wholeImage,
          cancelled: () => this.cancelRequested,
          onResult: (r) => {
            results.set(r.path, r);
            doneHere++;
            this.done = results.size;
            const s = (this.now() - t0) / 1000;
            if (s > 0) this.rate = doneHere / s;
            // A new Map every 25 images (and at the end) keeps the view's counts moving cheaply.
            if (doneHere % 25 === 0) this.results = new Map(results);
          },
        },
      );
    } catch (e) {
      if (e instanceof BatchStopped) this.error = toAppError(e.cause);
      else this.storageError = (e as Error).message; // a result could not be written
    }
    this.results = new Map(results);
    const finished = run.images.every((i) => results.has(i.path));
    await this.store.markRun(run.key, finished).catch(() => undefined);
    this.phase = finished ? 'done' : 'stopped';
    this.computeResults();
    await this.refreshRuns();
  }

  cancel(): void {
    if (this.phase === 'running') this.cancelRequested = true;
  }

  /** Continues a stopped run with the files picked now (the same folder). */
  async resume(): Promise<void> {
    if (this.run && this.phase !== 'running') await this.continueRun(this.run);
  }

  /** Shows a stored run's results, finished or not, without its files. */
  async showStored(key: string): Promise<void> {
    const run = await this.store.getRun(key);
    if (!run) return;
    const results = await this.store.results(run);
    this.run = run;
    this.results = results;
    this.total = run.images.length;
    this.done = results.size;
    this.rate = null;
    this.phase = run.images.every((i) => results.has(i.path)) ? 'done' : 'stopped';
    this.computeResults();
  }

  async deleteStored(key: string): Promise<void> {
    await this.store.deleteRun(key);
    if (this.run?.key === key) {
      this.run = null;
      this.results = new Map();
      this.groups = [];
      this.table = null;
      this.phase = 'setup';
    }
    await this.refreshRuns();
  }

  /** The stored run matches the picked files when every image it lists is among them. */
  get filesMatchRun(): boolean {
    const run = this.run;
    return run !== null && run.images.every((i) => this.setup.file(i.path) !== undefined);
  }

  get counts() {
    return this.run ? runCounts(this.run, this.results) : null;
  }

  /** Whether the run's pack is the one loaded (its fusion rule and operating points apply). */
  get samePack(): boolean {
    const m = this.runtime.manifest;
    return m !== null && this.run !== null && this.run.pack.id === m.id && this.fingerprint?.sha256 === this.run.pack.sha256;
  }

  private computeResults(): void {
    const run = this.run;
    const m = this.runtime.manifest;
    if (!run || !m) return;
    const fusion = m.id === run.pack.id ? m.fusion : { method: 'mean' as const };
    const table = runTable(run, this.results, fusion);
    this.table = table;
    this.groups = evaluateTable(table, this.resamples === undefined ? {} : { resamples: this.resamples });
  }

  /** The per-case table as CSV text. */
  csv(): string | null {
    return this.table ? formatCaseTable(this.table) : null;
  }
}

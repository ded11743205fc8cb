/**
 * The application's state, put together: the runtime (pack, backend, worker life cycle), the
 * session controller (slots, analyse → save → reopen → report), the case history, and the view
 * preferences. Components read it; each part writes only its own state.
 */

import { CLASS_IDS, MODALITY_IDS, type ClassId, type ModalityId } from '../../domain';
import type { Rect, RgbaImage } from '../../imaging';
import { i18n } from '../../i18n/index.svelte';
import { HistoryState } from '../components/history/history.svelte';
import { RuntimeState, type AppError, type RuntimeOptions } from './runtime.svelte';
import { SessionState } from './session.svelte';
import type { Decoder } from './slot.svelte';
import { phantomGeneratorVersion, type ClassInfo } from '../../model-pack';
import type { HeatmapView } from '../heatmap/colormap';
import { version as APP_VERSION } from '../../../package.json';

export type { AppError };
export type { AnalysedModality as ModalityResult } from './session-types';

export type DemoClass = ClassId;

export type Phase = 'starting' | 'ready' | 'analyzing' | 'failed';

export interface AppOptions extends RuntimeOptions {
  history?: HistoryState;
  decode?: Decoder;
}

export class AppState {
  readonly runtime: RuntimeState;
  readonly history: HistoryState;
  readonly session: SessionState;
  heatmapOpacity = $state(0.55);
  heatmapView = $state<HeatmapView>('overlay');
  /** The class the user picked for the heatmaps, for the results it was picked on. */
  private heatmapChoice = $state.raw<{ id: string; shown: number } | null>(null);
  private lastDemo = $state<{ cls: DemoClass; seed: number } | null>(null);

  constructor(opts: AppOptions) {
    this.runtime = new RuntimeState(opts);
    this.history = opts.history ?? new HistoryState();
    this.session = new SessionState(this.runtime, this.history, APP_VERSION, opts.decode);
    // Every slot uses the loaded pack's node finder (and its crop convention) once the runtime is ready.
    this.runtime.onFinderChanged((finder) => {
      for (const m of MODALITY_IDS) this.slots[m].setFinder(finder);
    });
  }

  get slots() {
    return this.session.slots;
  }
  get results() {
    return this.session.results;
  }
  get manifest() {
    return this.runtime.manifest;
  }

  /** The classes of the results on screen (a reopened case's own model may differ from the loaded one). */
  get classes(): ClassInfo[] {
    return this.session.reopenedFrom?.model.classes ?? this.manifest?.classes ?? [];
  }

  /**
   * Class id the heatmaps show: the headline's top class, until the user picks another for these
   * results (new results open on their own top class again, as the report does).
   */
  get heatmapClass(): string {
    const c = this.heatmapChoice;
    const classes = this.classes;
    if (c && c.shown === this.session.shown && classes.some((k) => k.id === c.id)) return c.id;
    const top = this.session.headline?.top ?? 0;
    return classes[top]?.id ?? classes[0]?.id ?? '';
  }

  set heatmapClass(id: string) {
    this.heatmapChoice = { id, shown: this.session.shown };
  }

  /** Index of `heatmapClass` in the class order (the maps are stored in that order). */
  get heatmapIndex(): number {
    return Math.max(
      0,
      this.classes.findIndex((c) => c.id === this.heatmapClass),
    );
  }

  get phase(): Phase {
    const p = this.runtime.phase;
    return p === 'ready' && this.session.analyzing ? 'analyzing' : p;
  }

  get error(): AppError | null {
    return this.session.error ?? this.runtime.error;
  }

  /** The simulated case the slots hold (any slot still showing it), so it is labelled as such. */
  get demo(): { cls: DemoClass; seed: number } | null {
    return MODALITY_IDS.some((m) => this.slots[m].image?.kind === 'simulated') ? this.lastDemo : null;
  }

  get canAnalyze(): boolean {
    const m = this.manifest;
    return this.phase === 'ready' && MODALITY_IDS.some((mod) => this.slots[mod].image !== null && m?.modalities[mod]);
  }

  start(): Promise<void> {
    return this.runtime.start();
  }

  analyze(): Promise<void> {
    return this.session.analyze();
  }

  isStale(mod: ModalityId): boolean {
    return this.session.isStale(mod);
  }

  /**
   * Fills the three slots with a freshly simulated node (docs/phantoms.md), each with the crop a
   * sonographer would draw. The simulator is loaded on first use only.
   */
  async loadDemoCase(cls: DemoClass | null): Promise<void> {
    const { generateCase } = await import('../../phantoms');
    const chosen = cls ?? CLASS_IDS[Math.floor(Math.random() * CLASS_IDS.length)]!;
    const seed = Math.floor(Math.random() * 900_000) + 100_000;
    // The generator version the loaded pack was trained on, so the demo looks like its training data.
    const version = this.manifest ? phantomGeneratorVersion(this.manifest) : 1;
    const c = generateCase({ seed, cls: chosen, version });
    const m = i18n.m;
    for (const mod of MODALITY_IDS) {
      // The simulator renders the modalities it models; the slot of any other stays as it is.
      const pixels: RgbaImage | undefined = (c.images as Partial<Record<ModalityId, RgbaImage>>)[mod];
      const roi: Rect | undefined = (c.rois as Partial<Record<ModalityId, Rect>>)[mod];
      if (!pixels || !roi) continue;
      const decoded = {
        pixels,
        sourceWidth: pixels.width,
        sourceHeight: pixels.height,
        downscaled: false,
        kind: 'simulated',
        pixelSpacingMm: { x: c.pixelSpacingMm, y: c.pixelSpacingMm },
      };
      this.slots[mod].loadPixels(decoded, m.demo.fileName(m.demo.classes[chosen], seed, m.modality[mod]), roi);
    }
    this.session.discardResults();
    this.session.simulation = { seed, trueClass: chosen };
    this.lastDemo = { cls: chosen, seed };
  }

  async tensorStats() {
    return this.runtime.tensorStats();
  }
}

/**
 * The session controller: analyse → save → reopen → report. It owns the three input slots and
 * the results computed from them, and is the only writer of which case the results are saved as.
 *
 * Staleness: each slot's image, region and revision are fixed when the crops are cut, before the
 * first await. Any later change to any slot, during or after the analysis, makes the results
 * stale: that modality's card, the fused result (it combines every slot), and Save/Report, which
 * stay off until the case is analysed again.
 */

import { fuse, FusionError, headlineOf, type Headline } from '../../analysis';
import {
  BLOCKING_VERDICTS,
  emptyDescriptors,
  measuredAxes,
  MODALITY_IDS,
  newExam,
  type CaseProvenance,
  type ExamInfo,
  type InputCheckNote,
  type ModalityId,
  type NodeDescriptors,
} from '../../domain';
import { analysesOfCase, buildCaseRecord, newCaseId, type CaseRecord } from '../../history';
import { cropRgba, fullRect, type RgbaImage } from '../../imaging';
import type { Manifest } from '../../model-pack';
import { InputChecks } from './input-checks.svelte';
import { toAppError, type AppError, type RuntimeState } from './runtime.svelte';
import { caseProvenance, imageProvenance, type Simulation } from './provenance';
import type { AnalysedModality, AnalysisStep, CaseReport, CaseStore, Revisions, SaveOptions } from './session-types';
import { SlotState, type Decoder } from './slot.svelte';

export class SessionState {
  readonly slots: Record<ModalityId, SlotState>;
  readonly checks: InputChecks;
  results = $state.raw<Partial<Record<ModalityId, AnalysedModality>>>({});
  analyzing = $state(false);
  /** Why the last analysis failed (a crash of the worker is the runtime's to report). */
  error = $state<AppError | null>(null);
  /** Id of the history case the current results are saved as (null: not saved). */
  savedCaseId = $state<string | null>(null);
  /** The history case the current results were reopened from. */
  reopenedFrom = $state.raw<CaseRecord | null>(null);
  /** The examination the node on screen belongs to (typed by the user). */
  exam = $state<ExamInfo>(newExam(newCaseId()));
  /** The clinician's findings for the node on screen. */
  descriptors = $state<NodeDescriptors>(emptyDescriptors());
  /** The node as last saved or reopened: a save after editing its findings keeps its id and date. */
  private savedRecord = $state.raw<CaseRecord | null>(null);
  /** Examination and findings as last saved (JSON), to tell whether they changed since. */
  private savedClinical = $state<string | null>(null);
  /** Every slot's revision the results were computed from; null while there are none. */
  private basis = $state.raw<Revisions | null>(null);
  /** The model the results came from (null for a reopened case: its record describes it). */
  private analysedWith = $state.raw<Manifest | null>(null);
  /** Per modality, where the analysis in progress stands (empty when none runs). */
  steps = $state.raw<Partial<Record<ModalityId, AnalysisStep>>>({});
  /** Bumped each time new results are put on screen (analysed or reopened): views reset to them. */
  shown = $state(0);
  /**
   * The simulated case the slots' simulated images belong to (set when a demo case is loaded):
   * every simulated image in the slots comes from the latest one, as loading one replaces them all.
   */
  simulation = $state.raw<Simulation | null>(null);
  /** Bumped when the results are replaced otherwise; an analysis still running is then dropped. */
  private generation = 0;

  constructor(
    private readonly runtime: RuntimeState,
    private readonly store: CaseStore,
    private readonly appVersion: string,
    decode?: Decoder,
  ) {
    this.slots = Object.fromEntries(MODALITY_IDS.map((m) => [m, new SlotState(m, decode)])) as Record<ModalityId, SlotState>;
    this.checks = new InputChecks(runtime, this.slots);
  }

  /** The slot holds an image its input check blocks (not ultrasound, low quality) and no override. */
  isBlocked(mod: ModalityId): boolean {
    const slot = this.slots[mod];
    const v = slot.outcome?.verdict;
    return v !== undefined && BLOCKING_VERDICTS.includes(v) && !slot.overridden;
  }

  /** "Analyse anyway": the user takes responsibility for analysing a blocked image (marked everywhere). */
  override(mod: ModalityId): void {
    this.slots[mod].overrideRevision = this.slots[mod].revision;
  }

  /** Moves an image to the slot its input check says it belongs to (a wrong-modality verdict). */
  moveImage(from: ModalityId, to: ModalityId): void {
    const src = this.slots[from];
    if (from === to || !src.image) return;
    this.slots[to].adopt(src.image, src.fileName, src.sourceFile);
    src.clear();
  }

  get hasResults(): boolean {
    return Object.keys(this.results).length > 0;
  }

  /** One modality's result no longer matches its slot. */
  isStale(mod: ModalityId): boolean {
    const r = this.results[mod];
    return r !== undefined && r.revision !== this.slots[mod].revision;
  }

  /** Some slot changed since the results were computed (the fused result no longer holds). */
  get stale(): boolean {
    const b = this.basis;
    return b !== null && MODALITY_IDS.some((m) => this.slots[m].revision !== b[m]);
  }

  /** Fused probabilities of the results (as saved, for a reopened case). */
  get fused(): number[] | null {
    if (this.reopenedFrom) return this.reopenedFrom.fused;
    const m = this.analysedWith;
    if (!m) return null;
    const probs: Partial<Record<ModalityId, number[]>> = {};
    for (const [mod, r] of Object.entries(this.results) as [ModalityId, AnalysedModality][])
      probs[mod] = r.analysis.probabilities;
    try {
      return fuse(m.fusion, probs);
    } catch (e) {
      // A pack may give some modalities no weight in fusion: analysed alone, they have no fused result.
      if (e instanceof FusionError) return null;
      throw e;
    }
  }

  /** The one-sentence reading of the results (fused, or the single modality when nothing fused). */
  get headline(): Headline | null {
    const probs: Partial<Record<ModalityId, number[]>> = {};
    for (const [mod, r] of Object.entries(this.results) as [ModalityId, AnalysedModality][])
      probs[mod] = r.analysis.probabilities;
    const analysed = Object.values(probs);
    const basis = this.fused ?? (analysed.length === 1 ? analysed[0]! : null);
    return basis ? headlineOf(basis, probs) : null;
  }

  /** Whether the headline combines several modalities (else it is one modality's result). */
  get headlineFused(): boolean {
    return this.fused !== null;
  }

  /** Where the images of the results came from (as saved, for a reopened case). */
  get provenance(): CaseProvenance | null {
    if (this.reopenedFrom) return this.reopenedFrom.provenance ?? null;
    if (!this.hasResults) return null;
    return caseProvenance(this.results);
  }

  /** The results on screen are the ones saved in the history. */
  get isSaved(): boolean {
    return this.savedCaseId !== null && !this.stale && !this.clinicalChanged;
  }

  /** Examination data or findings were edited after the node was saved. */
  get clinicalChanged(): boolean {
    return this.savedCaseId !== null && this.savedClinical !== this.clinicalJson();
  }

  private clinicalJson(): string {
    return JSON.stringify({ exam: this.exam, descriptors: this.descriptors });
  }

  /** Starts the next node of the same examination: slots, results and findings are cleared. */
  newNode(): void {
    for (const m of MODALITY_IDS) this.slots[m].clear();
    this.discardResults();
    this.descriptors = emptyDescriptors();
  }

  /** Starts a new examination (and its first node). */
  newExamination(): void {
    this.newNode();
    this.exam = newExam(newCaseId());
  }

  /** Takes over examination data stored elsewhere (the report's approval) when it is this examination's. */
  adoptExam(exam: ExamInfo, stored: boolean): void {
    if (exam.id !== this.exam.id) return;
    const wasClean = this.savedCaseId !== null && !this.clinicalChanged;
    this.exam = { ...exam };
    if (stored && wasClean) {
      this.savedClinical = this.clinicalJson();
      if (this.savedRecord) this.savedRecord = { ...this.savedRecord, exam: { ...exam } };
    }
  }

  /** Results that may be saved or reported: complete, current, and not being replaced. */
  get current(): boolean {
    return this.hasResults && !this.stale && !this.analyzing;
  }

  get canSave(): boolean {
    return this.current && !this.isSaved;
  }

  /** True while there is unsaved work on screen (an update waits for it; see the PWA prompt). */
  get caseInProgress(): boolean {
    return this.analyzing || (MODALITY_IDS.some((m) => this.slots[m].image !== null) && !this.isSaved);
  }

  /** Some slot holds an image. */
  get slotsUsed(): boolean {
    return MODALITY_IDS.some((m) => this.slots[m].image !== null);
  }

  /** Images the user brought in that are not in the history: a reload would lose them. */
  get unsavedImages(): boolean {
    const own = MODALITY_IDS.some((m) => {
      const kind = this.slots[m].image?.kind;
      return kind !== undefined && kind !== 'simulated' && kind !== 'history';
    });
    return own && !this.isSaved;
  }

  /** Analyses every slot that has an image (and a model for it); the results replace the old ones. */
  async analyze(): Promise<void> {
    const m = this.runtime.manifest;
    if (!m || this.runtime.phase !== 'ready' || this.analyzing) return;
    // An automatic node proposal still on its way would move a region under the analysis and mark
    // its result out of date as it lands: start from the regions the proposals settle on. They are
    // ahead of the analysis in the worker's queue, so waiting for them costs no time.
    this.analyzing = true;
    await Promise.all(MODALITY_IDS.map((mod) => this.slots[mod].proposalSettled()));
    this.analyzing = false;
    if (this.runtime.phase !== 'ready') return;
    // Fix the inputs now: cut every crop and note every revision before the first await.
    const basis = this.revisions();
    const jobs = MODALITY_IDS.flatMap((mod) => {
      const slot = this.slots[mod];
      if (!slot.image || !slot.roi || !m.modalities[mod]) return [];
      const roi = { ...slot.roi };
      const source = slot.image.pixels;
      const origin = imageProvenance(slot);
      const simulation = origin.source === 'simulated' ? this.simulation : null;
      const measurement = slot.node.measurement(slot.roiSourceId);
      return [{ mod, roi, source, crop: cropRgba(source, roi), revision: slot.revision, origin, simulation, measurement }];
    });
    if (jobs.length === 0) return;
    const overridden = Object.fromEntries(jobs.map((j) => [j.mod, this.slots[j.mod].overrideRevision === j.revision]));
    const generation = ++this.generation;
    this.analyzing = true;
    this.error = null;
    const steps: Partial<Record<ModalityId, AnalysisStep>> = Object.fromEntries(jobs.map((j) => [j.mod, 'queued']));
    this.steps = { ...steps };
    try {
      const results: Partial<Record<ModalityId, AnalysedModality>> = {};
      for (const { mod, crop, roi, source, revision, origin, simulation, measurement } of jobs) {
        if (generation === this.generation) this.steps = { ...this.steps, [mod]: 'running' };
        // The verdict of this very crop (the slot's, when it is of the same revision).
        const outcome = await this.checks.run(mod, crop, revision);
        const blocking = outcome !== null && BLOCKING_VERDICTS.includes(outcome.verdict);
        if (blocking && !overridden[mod]) {
          // Not analysed: the slot says why and offers "analyse anyway".
          if (generation === this.generation) {
            const { [mod]: _skipped, ...rest } = this.steps;
            this.steps = rest;
          }
          continue;
        }
        const analysis = await this.runtime.analyze(mod, crop);
        if (measurement) analysis.measurements = measurement;
        // The learned checks (or the pixel rules) replace the colour-share note when they ran.
        const decided = outcome && (outcome.learned || outcome.verdict !== 'ok');
        const inputCheck: InputCheckNote | undefined = decided
          ? {
              verdict: outcome.verdict,
              ...(outcome.looksLike ? { looksLike: outcome.looksLike } : {}),
              overridden: blocking,
              method: outcome.learned ? `learned gate (${m.id}@${m.version})` : 'pixel rules',
            }
          : origin.inputCheck;
        const noted = inputCheck ? { ...origin, inputCheck } : origin;
        results[mod] = { analysis, crop, roi, source, revision, origin: noted, simulation };
        if (generation === this.generation) this.steps = { ...this.steps, [mod]: 'done' };
      }
      if (generation !== this.generation || Object.keys(results).length === 0) return;
      this.prefillAxes(results);
      this.results = results;
      this.basis = basis;
      this.analysedWith = m;
      this.savedCaseId = null;
      this.savedRecord = null;
      this.reopenedFrom = null;
      this.shown++;
    } catch (e) {
      const err = toAppError(e);
      if (generation === this.generation && err.code !== 'worker-crashed') this.error = err;
    } finally {
      this.analyzing = false;
      if (generation === this.generation) this.steps = {};
    }
  }

  /** Axes a measurement provides fill the form, unless the clinician typed them already. */
  private prefillAxes(results: Partial<Record<ModalityId, AnalysedModality>>): void {
    if (
      this.descriptors.axesSource === 'manual' &&
      (this.descriptors.longAxisMm !== null || this.descriptors.shortAxisMm !== null)
    )
      return;
    for (const mod of MODALITY_IDS) {
      const axes = measuredAxes(results[mod]?.analysis);
      if (!axes) continue;
      this.descriptors.longAxisMm = Math.round(axes.longMm * 10) / 10;
      this.descriptors.shortAxisMm = Math.round(axes.shortMm * 10) / 10;
      this.descriptors.axesSource = 'measured';
      return;
    }
  }

  /** The current results as a history case, or null when there are none or they are stale. */
  caseRecord(opts: SaveOptions = {}): CaseRecord | null {
    if (!this.current) return null;
    const clinical = { exam: { ...this.exam }, descriptors: { ...this.descriptors } };
    const from = this.savedRecord ?? this.reopenedFrom;
    if (from) return { ...from, label: opts.label ?? from.label, note: opts.note ?? from.note, ...clinical };
    const m = this.analysedWith;
    const entries = Object.entries(this.results) as [ModalityId, AnalysedModality][];
    if (!m || entries.length === 0) return null;
    return buildCaseRecord({
      manifest: m,
      backend: entries[0]![1].analysis.backend,
      appVersion: this.appVersion,
      ...opts,
      ...clinical,
      fused: this.fused,
      provenance: caseProvenance(this.results),
      results: Object.fromEntries(
        entries.map(([mod, r]) => [mod, { crop: r.crop, roi: r.roi, source: r.source, analysis: r.analysis }]),
      ),
    });
  }

  /** Saves the current results; false when there is nothing current to save or the store refused. */
  async save(opts: SaveOptions = {}): Promise<boolean> {
    if (!this.canSave) return false;
    const record = this.caseRecord(opts);
    if (!record || !(await this.store.save(record))) return false;
    this.savedCaseId = record.id;
    this.savedRecord = record;
    this.savedClinical = JSON.stringify({ exam: record.exam, descriptors: record.descriptors });
    return true;
  }

  /** Puts a saved case back on screen; false when it cannot be read. */
  async reopen(id: string): Promise<boolean> {
    const record = await this.store.get(id);
    if (record) this.show(record);
    return record !== null;
  }

  /**
   * The case a report of the current results shows, and whether it is a saved one (then with its
   * label and note). Null when there is nothing current to report.
   */
  async currentReport(): Promise<CaseReport | null> {
    if (!this.current) return null;
    const record = this.isSaved && this.savedRecord ? this.savedRecord : this.caseRecord();
    if (!record) return null;
    const others = (await this.store.getExam(record.exam.id)).filter((r) => r.id !== record.id);
    // The examination's data on screen is the newest: the other nodes are shown with it.
    const nodes = [...others.map((r) => ({ ...r, exam: { ...record.exam } })), record].sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
    );
    return { nodes, saved: this.isSaved };
  }

  /** A saved case's report (from the history list): the whole examination it belongs to. */
  async savedReport(id: string): Promise<CaseReport | null> {
    const record = await this.store.get(id);
    if (!record) return null;
    const nodes = await this.store.getExam(record.exam.id);
    return { nodes: nodes.some((n) => n.id === id) ? nodes : [record], saved: true };
  }

  async deleteCase(id: string): Promise<boolean> {
    if (!(await this.store.delete(id))) return false;
    if (this.savedCaseId === id) this.forgetSaved();
    return true;
  }

  async deleteAllCases(): Promise<boolean> {
    if (!(await this.store.deleteAll())) return false;
    this.forgetSaved();
    return true;
  }

  /** Drops the results: new inputs replace the whole case (e.g. a simulated one). */
  discardResults(): void {
    this.generation++;
    this.steps = {};
    this.results = {};
    this.basis = null;
    this.analysedWith = null;
    this.forgetSaved();
  }

  private forgetSaved(): void {
    this.savedCaseId = null;
    this.savedRecord = null;
    this.savedClinical = null;
    this.reopenedFrom = null;
  }

  private show(record: CaseRecord): void {
    const analyses = analysesOfCase(record);
    const results: Partial<Record<ModalityId, AnalysedModality>> = {};
    for (const mod of MODALITY_IDS) {
      const slot = this.slots[mod];
      const res = record.results[mod];
      const analysis = analyses[mod];
      if (!res || !analysis) {
        slot.clear();
        continue;
      }
      // The slot shows the full image when it was kept, otherwise the region the model saw.
      const img = res.screenshot ?? res.crop;
      const pixels: RgbaImage = { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
      const roi = res.screenshot ? { ...res.roi } : fullRect(img.width, img.height);
      slot.restore(
        { pixels, sourceWidth: img.width, sourceHeight: img.height, downscaled: false, kind: 'history' },
        record.label,
        roi,
      );
      const crop = { width: res.crop.width, height: res.crop.height, data: new Uint8ClampedArray(res.crop.data) };
      const origin = record.provenance?.images[mod] ?? { source: 'history', pixelSpacingMm: null };
      const simulation = record.provenance?.simulated ?? null;
      results[mod] = { analysis, crop, roi, source: pixels, revision: slot.revision, origin, simulation };
    }
    this.generation++;
    this.steps = {};
    this.shown++;
    this.results = results;
    this.basis = this.revisions();
    this.analysedWith = null;
    this.savedCaseId = record.id;
    this.reopenedFrom = record;
    this.savedRecord = record;
    this.exam = { ...record.exam };
    this.descriptors = { ...record.descriptors };
    this.savedClinical = JSON.stringify({ exam: record.exam, descriptors: record.descriptors });
    this.error = null;
  }

  private revisions(): Revisions {
    return Object.fromEntries(MODALITY_IDS.map((m) => [m, this.slots[m].revision])) as Revisions;
  }
}

/**
 * The session controller (analyse → save → reopen → report) over the real runtime and the real
 * history store. See harness.ts for how the worker runs in this process.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../../../src/model-pack';
import { decoded, startApp, until } from './harness';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const region = { x: 8, y: 6, width: 64, height: 48 };
const moved = { x: 20, y: 10, width: 64, height: 48 };

describe('session: stale results', () => {
  it('marks the results stale when the region moves while the analysis runs, and keeps the region it cropped', async () => {
    const { app, worker } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(decoded(1), 'b.png', region);
    s.slots.cdfi.loadPixels(decoded(2), 'c.png', region);
    worker.holding = true;
    const running = s.analyze();
    await until(() => worker.heldCount === 1, 'the first analysis request');
    expect(app.phase).toBe('analyzing');
    s.slots.bmode.setRoi(moved);
    worker.release();
    await running;

    expect(Object.keys(s.results).sort()).toEqual(['bmode', 'cdfi']);
    expect(s.results.bmode!.roi).toEqual(region);
    expect(s.isStale('bmode')).toBe(true);
    expect(s.isStale('cdfi')).toBe(false);
    expect(s.stale).toBe(true);
    expect(s.canSave).toBe(false);
    expect(s.caseRecord()).toBeNull();
    expect(await s.save({ label: 'x' })).toBe(false);
    expect(await s.currentReport()).toBeNull();
    expect(app.history.cases).toHaveLength(0);

    await s.analyze();
    expect(s.stale).toBe(false);
    expect(s.results.bmode!.roi).toEqual(moved);
    expect(s.canSave).toBe(true);
  });

  it('has no fused result when the pack gives the analysed modalities no fusion weight', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(decoded(9), 'b.png', region);
    await s.analyze();
    expect(s.fused).not.toBeNull();
    // The same results judged by a pack that fuses only elastography.
    const internals = s as unknown as { analysedWith: Manifest };
    internals.analysedWith = { ...internals.analysedWith, fusion: { method: 'weighted-mean', weights: { elastography: 1 } } };
    expect(s.fused).toBeNull();
    expect(s.results.bmode).toBeDefined();
  });

  it('marks every result and the fused one stale when another slot changes after the analysis', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(decoded(3), 'b.png', region);
    await s.analyze();
    expect(s.fused).not.toBeNull();
    expect(s.stale).toBe(false);
    s.slots.elastography.loadPixels(decoded(4), 'e.png', region);
    expect(s.isStale('bmode')).toBe(false);
    expect(s.stale).toBe(true);
    expect(s.current).toBe(false);
    s.slots.elastography.clear();
    expect(s.stale).toBe(true);
  });

  it('drops an analysis that finishes after a case was reopened', async () => {
    const { app, worker } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(decoded(5), 'b.png', region);
    await s.analyze();
    expect(await s.save({ label: 'first' })).toBe(true);
    const saved = s.savedCaseId!;
    s.slots.bmode.loadPixels(decoded(6), 'other.png', moved);
    worker.holding = true;
    const running = s.analyze();
    await until(() => worker.heldCount === 1, 'the analysis request');
    expect(await s.reopen(saved)).toBe(true);
    worker.release();
    await running;
    expect(s.reopenedFrom?.id).toBe(saved);
    expect(s.savedCaseId).toBe(saved);
    expect(s.stale).toBe(false);
    expect(s.slots.bmode.fileName).toBe('first');
  });
});

describe('session: save, reopen, report', () => {
  it('saves the results, reopens them as the shared result model and reports them as saved', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(decoded(7), 'b.png', region);
    s.slots.cdfi.loadPixels(decoded(8), 'c.png', region);
    await s.analyze();
    const computed = s.results.bmode!.analysis;
    expect(computed.timings).not.toBeNull();
    expect(computed.modelId).toBe(app.manifest!.id);
    expect(computed.cams!.maps).toHaveLength(app.manifest!.classes.length);
    expect(s.unsavedImages).toBe(true);

    expect(await s.save({ label: 'Left II', note: 'n', keepScreenshots: false })).toBe(true);
    const id = s.savedCaseId!;
    expect(s.isSaved).toBe(true);
    expect(s.unsavedImages).toBe(false);
    expect(s.caseInProgress).toBe(false);
    expect(app.history.cases.map((c) => c.id)).toEqual([id]);
    expect(await s.save()).toBe(false);

    const report = await s.currentReport();
    expect(report).toMatchObject({ saved: true, nodes: [{ id, label: 'Left II', note: 'n' }] });

    s.discardResults();
    expect(s.hasResults).toBe(false);
    expect(await s.reopen(id)).toBe(true);
    const back = s.results.bmode!.analysis;
    expect(back).toMatchObject({ modality: 'bmode', backend: computed.backend, modelId: computed.modelId, timings: null });
    expect(back.probabilities).toEqual(computed.probabilities);
    expect(back.logits).toEqual(computed.logits);
    expect(back.cams!.maps.map((m) => [...m])).toEqual(computed.cams!.maps.map((m) => [...m]));
    expect('id' in back || 'type' in back).toBe(false);
    expect(s.slots.bmode.image?.kind).toBe('history');
    expect(s.slots.elastography.image).toBeNull();
    expect(s.fused).toEqual(report!.nodes[0]!.fused);
    expect(s.isSaved).toBe(true);
    expect(await s.currentReport()).toMatchObject({ saved: true, nodes: [{ id }] });
    expect(await s.savedReport(id)).toMatchObject({ saved: true, nodes: [{ id }] });
  });

  it('forgets the saved case when it is deleted, so it can be saved again', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(decoded(9), 'b.png', region);
    await s.analyze();
    await s.save({ label: 'gone' });
    const id = s.savedCaseId!;
    expect(await s.deleteCase(id)).toBe(true);
    expect(s.savedCaseId).toBeNull();
    expect(s.canSave).toBe(true);
    await s.save({ label: 'again' });
    expect(await s.deleteAllCases()).toBe(true);
    expect(s.savedCaseId).toBeNull();
    expect(app.history.cases).toHaveLength(0);
  });

  it('asks before a reload only while images the user loaded are unsaved', async () => {
    const { app } = await startApp();
    const s = app.session;
    expect(s.unsavedImages).toBe(false);
    s.slots.bmode.loadPixels(decoded(10, 'simulated'), 'demo', region);
    expect(s.unsavedImages).toBe(false);
    s.slots.cdfi.loadPixels(decoded(11, 'jpeg'), 'c.jpg', region);
    expect(s.unsavedImages).toBe(true);
    await s.analyze();
    expect(s.unsavedImages).toBe(true);
    await s.save();
    expect(s.unsavedImages).toBe(false);
    // A new image after saving is unsaved work again.
    s.slots.elastography.loadPixels(decoded(12, 'png'), 'e.png', region);
    expect(s.unsavedImages).toBe(true);
  });
});

describe('session: examinations with several nodes', () => {
  it('saves two nodes under one examination, re-saves edited findings under the same id, and reopens them', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.exam.accession = 'RIS-42';
    s.exam.reporter = 'Dr Lin';
    s.slots.bmode.loadPixels(decoded(3), 'b.png', region);
    await s.analyze();
    s.descriptors.level = 'II';
    s.descriptors.side = 'left';
    s.descriptors.hilum = 'absent';
    expect(await s.save({ label: 'first' })).toBe(true);
    const first = s.savedCaseId!;
    const examId = s.exam.id;

    // Findings edited after saving: no longer saved; saving again keeps the node's id.
    s.descriptors.vascularPattern = 'peripheral';
    expect(s.clinicalChanged).toBe(true);
    expect(s.isSaved).toBe(false);
    expect(await s.save()).toBe(true);
    expect(s.savedCaseId).toBe(first);
    expect(s.isSaved).toBe(true);

    s.newNode();
    expect(s.hasResults).toBe(false);
    expect(s.descriptors.level).toBeNull();
    expect(s.exam.id).toBe(examId);
    s.slots.bmode.loadPixels(decoded(4), 'b.png', region);
    await s.analyze();
    s.descriptors.level = 'III';
    s.exam.indication = 'Follow-up';
    // Not saved yet: the report shows the saved first node with the examination data on screen.
    const draft = await s.currentReport();
    expect(draft!.saved).toBe(false);
    expect(draft!.nodes.map((n) => [n.descriptors.level, n.exam.indication])).toEqual([
      ['II', 'Follow-up'],
      ['III', 'Follow-up'],
    ]);
    expect(await s.save({ label: 'second' })).toBe(true);
    const nodes = await app.history.getExam(examId);
    expect(nodes.map((n) => [n.label, n.exam.accession, n.exam.indication, n.descriptors.vascularPattern])).toEqual([
      ['first', 'RIS-42', 'Follow-up', 'peripheral'],
      ['second', 'RIS-42', 'Follow-up', null],
    ]);

    s.newExamination();
    expect(s.exam.id).not.toBe(examId);
    expect(s.exam.accession).toBe('');
    expect(await s.reopen(first)).toBe(true);
    expect(s.exam).toMatchObject({ id: examId, accession: 'RIS-42', indication: 'Follow-up' });
    expect(s.descriptors).toMatchObject({ level: 'II', side: 'left', hilum: 'absent', vascularPattern: 'peripheral' });
    expect(s.isSaved).toBe(true);
    expect((await s.savedReport(first))!.nodes.map((n) => n.label)).toEqual(['first', 'second']);
  });
});

describe('session: axes from a measurement', () => {
  it('fills the axes from an analysis that carries them, and keeps axes the clinician typed', async () => {
    const { app } = await startApp();
    const s = app.session;
    const runtime = app.runtime as unknown as { analyze: (...a: unknown[]) => Promise<object> };
    const original = runtime.analyze.bind(app.runtime);
    // The measurement an outlined node attaches to the analysis (calipers with a known scale).
    const measurements = {
      roiSource: 'node',
      longAxisPx: 123.4,
      shortAxisPx: 50.1,
      ratio: 0.406,
      longAxisMm: 12.34,
      shortAxisMm: 5.01,
      scaleSource: 'user',
    };
    runtime.analyze = async (...a: unknown[]) => ({ ...(await original(...a)), measurements });
    s.slots.bmode.loadPixels(decoded(5), 'b.png', region);
    await s.analyze();
    expect(s.descriptors).toMatchObject({ longAxisMm: 12.3, shortAxisMm: 5, axesSource: 'measured' });
    s.descriptors.longAxisMm = 14;
    s.descriptors.axesSource = 'manual';
    s.slots.bmode.setRoi(moved);
    await s.analyze();
    expect(s.descriptors).toMatchObject({ longAxisMm: 14, shortAxisMm: 5, axesSource: 'manual' });
  });
});

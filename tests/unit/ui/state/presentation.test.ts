/**
 * What the result view is built from: the headline of the session's results, per-modality
 * progress while an analysis runs, the heatmap class following the top class, and the provenance
 * a demo case keeps through save → reopen → report. Real runtime and history (see harness.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { rankClasses } from '../../../../src/analysis';
import type { ModalityId } from '../../../../src/domain';
import { buildReport } from '../../../../src/report';
import { createRuntimeClient } from '../../../../src/runtime';
import { RuntimeState, type StartupProgress } from '../../../../src/ui/state/runtime.svelte';
import { fixtureManifestUrl } from '../../runtime/helpers';
import { decoded, InProcessWorker, startApp, until } from './harness';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const region = { x: 8, y: 6, width: 64, height: 48 };

describe('session: headline, progress and heatmap class', () => {
  it('reads the fused result as a headline, marks it stale with the fused one, and opens the heatmaps on its top class', async () => {
    const { app, worker } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(decoded(21), 'b.png', region);
    s.slots.cdfi.loadPixels(decoded(22), 'c.png', region);
    expect(s.headline).toBeNull();

    worker.holding = true;
    const running = s.analyze();
    await until(() => worker.heldCount === 1, 'the first analysis request');
    // One modality at a time: the first runs, the second waits.
    expect(s.steps).toEqual({ bmode: 'running', cdfi: 'queued' });
    worker.release();
    await running;
    expect(s.steps).toEqual({});

    const h = s.headline!;
    const fused = s.fused!;
    expect(h.top).toBe(rankClasses(fused)[0]);
    expect(h.ranked.map((r) => r.percent).reduce((a, b) => a + b)).toBe(100);
    const tops = Object.fromEntries(
      (['bmode', 'cdfi'] as ModalityId[]).map((m) => [m, rankClasses(s.results[m]!.analysis.probabilities)[0]]),
    );
    expect(h.disagreement === null).toBe(tops.bmode === h.top && tops.cdfi === h.top);

    const classes = app.manifest!.classes;
    expect(app.heatmapClass).toBe(classes[h.top]!.id);
    expect(app.heatmapIndex).toBe(h.top);
    const other = classes.find((c) => c.id !== app.heatmapClass)!.id;
    app.heatmapClass = other;
    expect(app.heatmapClass).toBe(other);

    // A region change after the analysis: the headline's basis (the fused result) is out of date,
    // Save and Report are off until analysed again.
    s.slots.cdfi.setRoi({ ...region, x: 12 });
    expect(s.stale).toBe(true);
    expect(s.canSave).toBe(false);
    expect(await s.currentReport()).toBeNull();
    await s.analyze();
    expect(s.stale).toBe(false);
    // New results open the heatmaps on their own top class again.
    expect(app.heatmapClass).toBe(classes[s.headline!.top]!.id);
  });

  it('a single modality’s headline is its own result', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.slots.elastography.loadPixels(decoded(23), 'e.png', region);
    await s.analyze();
    const own = s.results.elastography!.analysis.probabilities;
    expect(s.headline!.top).toBe(rankClasses(own)[0]);
  });
});

describe('runtime: start-up progress', () => {
  it('shows the bytes downloaded and verified, then backend, build and warm-up, and clears when ready', async () => {
    const worker = new InProcessWorker();
    const client = createRuntimeClient(() => worker);
    const seen: StartupProgress[] = [];
    // The real client, watched: after each progress event, what the runtime state holds for the page.
    const watched: typeof client = {
      ...client,
      init: (url, backend, onProgress) =>
        client.init(url, backend, (p) => {
          onProgress?.(p);
          if (runtime.progress) seen.push(runtime.progress);
        }),
    };
    const runtime = new RuntimeState({ indexUrl: 'file:///unused/index.json', client: watched });
    runtime.backendChoice = 'cpu';
    const loading = runtime.load(await fixtureManifestUrl());
    expect(runtime.progress).toEqual({ stage: 'loading', loaded: 0, total: 0 });
    await loading;
    expect(runtime.phase).toBe('ready');
    expect(runtime.progress).toBeNull();
    const stages = seen.map((p) => p.stage).filter((s, i, a) => a[i - 1] !== s);
    expect(stages).toEqual(['download', 'backend', 'build', 'warmup']);
    const downloads = seen.filter((p) => p.stage === 'download');
    const last = downloads[downloads.length - 1]!;
    expect(last.total).toBeGreaterThan(0);
    expect(last.loaded).toBe(last.total);
    // The later stages keep the byte count, so the bar does not jump back.
    for (const p of seen.filter((q) => q.stage === 'build' || q.stage === 'warmup')) expect(p.loaded).toBe(last.total);
  });
});

describe('session: provenance', () => {
  it('a demo case keeps simulated flag, seed, true class and pixel spacing through save → reopen → report', async () => {
    const { app } = await startApp();
    const s = app.session;
    await app.loadDemoCase('lymphoma');
    const demo = app.demo!;
    await s.analyze();
    const p = s.provenance!;
    expect(p.simulated).toEqual({ seed: demo.seed, trueClass: 'lymphoma' });
    expect(p.images.bmode).toMatchObject({ source: 'simulated', inputCheck: { method: 'colour-share', overridden: false } });
    expect(p.images.bmode!.pixelSpacingMm!.x).toBeGreaterThan(0);

    expect(await s.save({ label: 'demo' })).toBe(true);
    const id = s.savedCaseId!;
    expect(app.history.cases[0]!.simulated).toBe(true);
    s.discardResults();
    expect(await s.reopen(id)).toBe(true);
    // Reopened, the images are the history's copies, but the case still says what they were.
    expect(s.slots.bmode.image?.kind).toBe('history');
    expect(s.provenance).toEqual(p);
    const report = await s.currentReport();
    expect(buildReport(report!.nodes[0]!).provenance).toEqual(p);
  });

  it('a user image is not simulated, notes its slot check, and a loaded demo does not leak into it', async () => {
    const { app } = await startApp();
    const s = app.session;
    await app.loadDemoCase('benign');
    // The user replaces every simulated image with their own.
    for (const m of ['bmode', 'cdfi', 'elastography'] as const) s.slots[m].loadPixels(decoded(30, 'jpeg'), `${m}.jpg`, region);
    await s.analyze();
    const p = s.provenance!;
    expect(p.simulated).toBeNull();
    expect(p.images.bmode).toMatchObject({ source: 'jpeg', pixelSpacingMm: null });
    // Random colour noise in a grayscale slot: the colour-share check's verdict is kept as it stood.
    expect(p.images.bmode!.inputCheck!.verdict).toBe('wrong-modality');
  });
});

/**
 * A fourth modality is a registry entry and nothing more: this suite adds shear-wave elastography
 * to the real registry file and runs it through the UI state, the model-pack manifest, the history
 * (save, list, export/import, read back) and the report. Any place that kept its own list of
 * modalities drops, refuses or caps the new one and fails here.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { isModalityId, MODALITY_IDS, modalityForFolder, type ModalityId } from '../../../src/domain';
import { buildCaseRecord, HistoryStore, type CaseInput, type CaseRecord } from '../../../src/history';
import { packModalities, parseManifest } from '../../../src/model-pack/manifest';
import { buildReport, reportJson } from '../../../src/report';
import { HistoryState } from '../../../src/ui/components/history/history.svelte';
import { AppState } from '../../../src/ui/state/app.svelte';
import { manifest as caseManifest } from '../history/fixtures';

// Outside the ModalityId type on purpose: the code must handle what the registry holds at run time.
const SWE = 'swe' as ModalityId;

vi.mock('../../../src/domain/modalities.json', async (importOriginal) => {
  const real = (await importOriginal<{ default: { modalities: unknown[] } }>()).default;
  const swe = {
    id: 'swe',
    colourCoded: true,
    roi: { panel: 'most-colour', splitDualView: true, includeColourBox: true },
    // Stricter than the other colour-coded modalities, so a check that ignores the entry shows.
    inputCheck: { minColourFraction: 0.3 },
    datasetFolders: ['swe', 'shear-wave'],
  };
  return { default: { ...real, modalities: [...real.modalities, swe] } };
});

const ALL = [...MODALITY_IDS];

function gray(w: number, h: number): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) data.fill(((i * 37) % 200) + 30, i * 4, i * 4 + 3).fill(255, i * 4 + 3, i * 4 + 4);
  return { width: w, height: h, data };
}

function colourful(w: number, h: number): { width: number; height: number; data: Uint8ClampedArray } {
  const img = gray(w, h);
  for (let p = 0; p < img.data.length; p += 4) img.data.set([220, 40, 30], p);
  return img;
}

/** A case holding a result for every registry modality. */
function caseOfAll(): CaseRecord {
  const results: CaseInput['results'] = {};
  ALL.forEach((m, k) => {
    results[m] = {
      crop: gray(12, 8),
      roi: { x: k, y: 1, width: 12, height: 8 },
      source: gray(30, 20),
      analysis: {
        logits: [k, 0.5, 0.1],
        probabilities: [0.6, 0.3, 0.1],
        cams: {
          width: 4,
          height: 4,
          maps: [0, 1, 2].map((c) => Float32Array.from({ length: 16 }, (_, i) => ((i + c) % 4) / 4)),
          empty: [false, false, false],
        },
      },
    };
  });
  return buildCaseRecord({
    manifest: caseManifest,
    backend: 'wasm',
    appVersion: '0.1.0',
    label: 'SWE case',
    fused: [0.6, 0.3, 0.1],
    results,
  });
}

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});

describe('a modality added to the registry only', () => {
  it('is a known modality with its data set folders', () => {
    expect(ALL).toHaveLength(4);
    expect(ALL.at(-1)).toBe(SWE);
    expect(isModalityId('swe')).toBe(true);
    expect(modalityForFolder('Shear-Wave')).toBe(SWE);
  });

  it('gets a slot in the UI state, checked by its own input rule', () => {
    const app = new AppState({ indexUrl: 'http://localhost/models/index.json' });
    expect(Object.keys(app.slots)).toEqual(ALL);
    const slot = app.slots[SWE];
    expect(slot.modality).toBe(SWE);
    const img = gray(64, 48);
    img.data.fill(200, 0, 64 * 5 * 4); // a tenth of the image is not gray: enough elsewhere, not for this entry
    for (let p = 0; p < 64 * 5 * 4; p += 4) img.data[p + 1] = 20;
    const decoded = { pixels: img, sourceWidth: 64, sourceHeight: 48, downscaled: false, kind: 'file' as const };
    slot.loadPixels(decoded, 'plain.png', { x: 0, y: 0, width: 64, height: 48 });
    expect(slot.warning).toBe('grayscale-in-colour-slot'); // colour-coded per the registry entry
    slot.image = { ...decoded, pixels: colourful(64, 48) };
    slot.propose();
    expect(slot.warning).toBeNull();
    expect(slot.roi).toEqual({ x: 0, y: 0, width: 64, height: 48 });
    expect(app.session.caseInProgress).toBe(true);
  });

  it('may be in a model pack', () => {
    const input = {
      height: 224,
      width: 224,
      channelOrder: 'RGB',
      resize: 'bilinear-antialias',
      scale: 1 / 255,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    };
    const m = parseManifest({
      format: 'lymphscope-model-pack',
      formatVersion: 1,
      id: 'swe-pack',
      version: '1.0.0',
      title: 'Shear wave',
      classes: caseManifest.classes,
      modalities: { swe: { model: 'swe/model.json', input, gradcamLayer: 'layer4_1_out' } },
      fusion: { method: 'weighted-mean', weights: { swe: 1 } },
      files: [{ path: 'swe/model.json', bytes: 10, sha256: 'a'.repeat(64) }],
      metrics: [{ modality: 'swe', dataset: 'test', split: 'test', n: 3 }],
      intendedUse: 'Research',
      disclaimer: 'Not for diagnosis',
      license: 'MIT',
    });
    expect(packModalities(m)).toEqual([SWE]);
    expect(m.metrics[0]!.modality).toBe(SWE);
  });

  it('round-trips through the history: save, list, export, import, read back, reopen', async () => {
    const record = caseOfAll();
    const store = await HistoryStore.open({ iterations: 1000 });
    await store.save(record);
    expect(await store.get(record.id)).toEqual(record);
    const { cases } = await store.list('swe');
    expect(cases.map((c) => c.modalities)).toEqual([ALL]);
    const file = await store.exportCases([record.id], '0.1.0');
    await store.deleteAll();
    await store.importCases(file);
    const back = await store.get(record.id);
    expect(back).toEqual(record);
    expect(back.results[SWE]!.roi.x).toBe(3);

    const history = new HistoryState(1000);
    await history.open();
    const app = new AppState({ indexUrl: 'http://localhost/models/index.json', history });
    expect(await app.session.reopen(record.id)).toBe(true);
    expect(Object.keys(app.results)).toEqual(ALL);
    expect(app.slots[SWE].image?.pixels.width).toBe(12);
    expect(app.session.caseRecord()).toEqual(back);
  });

  it('is in the report and its JSON export', () => {
    const record = caseOfAll();
    const report = buildReport(record);
    expect(report.modalities.map((m) => m.modality)).toEqual(ALL);
    expect(report.modalities.at(-1)!.roi.x).toBe(3);
    const json = JSON.parse(reportJson(record, new Date(0))) as { results: Record<string, unknown> };
    expect(Object.keys(json.results)).toEqual(ALL);
  });
});

import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest } from '../../../src/model-pack/manifest';
import { parsePackIndex, PackIndexError } from '../../../src/model-pack/index-file';

const hash = 'a'.repeat(64);

function valid(): Record<string, unknown> {
  const input = {
    height: 224,
    width: 224,
    channelOrder: 'RGB',
    resize: 'bilinear-antialias',
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  };
  return {
    format: 'lymphscope-model-pack',
    formatVersion: 1,
    id: 'demo-pack',
    version: '1.0.0',
    title: 'Demo',
    classes: [
      { id: 'metastatic', label: 'Metastatic' },
      { id: 'lymphoma', label: 'Lymphoma' },
      { id: 'benign', label: 'Benign' },
    ],
    modalities: {
      bmode: { model: 'bmode/model.json', input, gradcamLayer: 'layer4_1_out', temperature: 1.3 },
      elastography: { model: 'elastography/model.json', input, gradcamLayer: 'layer4_1_out' },
    },
    fusion: { method: 'weighted-mean', weights: { bmode: 1, elastography: 2 } },
    files: [
      { path: 'bmode/model.json', bytes: 10, sha256: hash },
      { path: 'elastography/model.json', bytes: 10, sha256: hash },
    ],
    metrics: [{ modality: 'fused', dataset: 'phantoms', split: 'test', n: 30, macroAuc: 0.9 }],
    training: { seed: 1 },
    intendedUse: 'Research',
    disclaimer: 'Not for diagnosis',
    license: 'Apache-2.0',
  };
}

type Mutator = (m: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

function expectField(mutate: Mutator, field: string) {
  const m = valid();
  mutate(m);
  try {
    parseManifest(m);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    expect((e as ManifestError).field).toBe(field);
    expect((e as Error).message).toContain(field);
    return;
  }
  throw new Error(`manifest with bad ${field} was accepted`);
}

describe('manifest validation', () => {
  it('accepts a valid manifest and fills defaults', () => {
    const m = parseManifest(valid());
    expect(m.id).toBe('demo-pack');
    expect(m.modalities.bmode!.temperature).toBe(1.3);
    expect(m.modalities.elastography!.temperature).toBe(1);
    expect(m.fixture).toBe(false);
    expect(m.fusion).toEqual({ method: 'weighted-mean', weights: { bmode: 1, elastography: 2 } });
  });

  it('names the bad field', () => {
    expectField((m) => (m.format = 'other'), 'format');
    expectField((m) => (m.formatVersion = 2), 'formatVersion');
    expectField((m) => (m.id = 'Bad Id'), 'id');
    expectField((m) => (m.version = 'one'), 'version');
    expectField((m) => (m.classes = [{ id: 'a', label: 'A' }]), 'classes');
    expectField((m) => (m.classes[1].id = 'metastatic'), 'classes[1].id');
    expectField((m) => (m.modalities = {}), 'modalities');
    expectField((m) => (m.modalities.ct = m.modalities.bmode), 'modalities.ct');
    expectField((m) => (m.modalities.bmode.input.std[1] = 0), 'modalities.bmode.input.std[1]');
    expectField((m) => (m.modalities.bmode.input.width = 22.5), 'modalities.bmode.input.width');
    expectField((m) => (m.modalities.bmode.input.channelOrder = 'GRB'), 'modalities.bmode.input.channelOrder');
    expectField((m) => (m.modalities.bmode.temperature = -1), 'modalities.bmode.temperature');
    expectField((m) => (m.modalities.bmode.gradcamLayer = ''), 'modalities.bmode.gradcamLayer');
    expectField((m) => (m.modalities.bmode.model = '../../etc/passwd'), 'modalities.bmode.model');
    expectField((m) => (m.modalities.bmode.model = 'https://evil.example/model.json'), 'modalities.bmode.model');
    expectField((m) => (m.modalities.bmode.model = 'bmode/other.json'), 'modalities.bmode.model');
    expectField((m) => (m.files[0].sha256 = 'xyz'), 'files[0].sha256');
    expectField((m) => (m.files[1].path = m.files[0].path), 'files[1].path');
    expectField((m) => (m.files[0].bytes = -1), 'files[0].bytes');
    expectField((m) => (m.fusion = { method: 'vote' }), 'fusion.method');
    expectField((m) => (m.fusion.weights = { cdfi: 1 }), 'fusion.weights.cdfi');
    expectField((m) => (m.metrics[0].macroAuc = 1.5), 'metrics[0].macroAuc');
    expectField((m) => delete m.disclaimer, 'disclaimer');
    expectField((m) => (m.fixture = 'yes'), 'fixture');
  });

  it('rejects non-objects', () => {
    expect(() => parseManifest(null)).toThrow(ManifestError);
    expect(() => parseManifest([1, 2])).toThrow(ManifestError);
  });
});

describe('pack index', () => {
  it('accepts a valid index and checks the default exists', () => {
    const idx = parsePackIndex({ formatVersion: 1, default: 'a', packs: [{ id: 'a', path: 'a/manifest.json', title: 'A' }] });
    expect(idx.default).toBe('a');
    expect(() =>
      parsePackIndex({ formatVersion: 1, default: 'b', packs: [{ id: 'a', path: 'a/manifest.json', title: 'A' }] }),
    ).toThrow(PackIndexError);
    expect(() =>
      parsePackIndex({ formatVersion: 1, default: 'a', packs: [{ id: 'a', path: 'https://x/m.json', title: 'A' }] }),
    ).toThrow(PackIndexError);
  });
});

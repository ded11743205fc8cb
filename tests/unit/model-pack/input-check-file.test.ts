import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATE_CLASSES, InputCheckFileError, parseInputCheck, parseManifest } from '../../../src/model-pack';

const valid = (JSON.parse(readFileSync('tests/fixtures/input-check-cases.json', 'utf8')) as { params: Record<string, unknown> })
  .params;
const patched = (path: string[], value: unknown): unknown => {
  const doc = structuredClone(valid) as Record<string, unknown>;
  let at = doc;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
  if (value === undefined) delete at[path[path.length - 1]!];
  else at[path[path.length - 1]!] = value;
  return doc;
};

describe('parseInputCheck', () => {
  it('reads a file written by training', () => {
    const p = parseInputCheck(valid, 'x.json', 6);
    expect(p.featureDim).toBe(6);
    expect(p.featureModel).toBe('bmode');
    expect(p.gateClasses).toEqual([...GATE_CLASSES]);
    expect(p.gateWeights).toHaveLength(4 * (6 + 9 + 12));
    expect(p.ood.components).toHaveLength(3 * 6);
    expect(p.textureFeatures).toHaveLength(12);
    expect(p.textureOod?.components).toHaveLength(11 * 12);
  });

  it('still reads a formatVersion 1 file (colour statistics only, no texture distance)', () => {
    const v1 = structuredClone(valid) as { formatVersion: number; gate: Record<string, unknown>; textureOod?: unknown };
    v1.formatVersion = 1;
    delete v1.gate.textureFeatures;
    delete v1.textureOod;
    v1.gate.weights = (v1.gate.weights as number[][]).map((row) => row.slice(0, 6 + 9));
    const p = parseInputCheck(v1, 'x.json', 6);
    expect(p.textureFeatures).toEqual([]);
    expect(p.textureOod).toBeUndefined();
    expect(p.gateWeights).toHaveLength(4 * (6 + 9));
  });

  it.each([
    [['format'], 'other', 'format'],
    [['featureDim'], 0, 'featureDim'],
    [['featureModel'], 'ct', 'featureModel'],
    [['gate', 'classes'], ['bmode', 'cdfi', 'elastography', 'photo'], 'gate.classes'],
    [['gate', 'weights'], [[1, 2]], 'gate.weights'],
    [['gate', 'colourFeatures'], ['coloured'], 'gate.colourFeatures'],
    [['gate', 'wrongModalityMinProbability'], 1.5, 'gate.wrongModalityMinProbability'],
    [['gate', 'bias'], [0, 0, 0, Number.NaN], 'gate.bias[3]'],
    [['ood', 'metric'], 'euclidean', 'ood.metric'],
    [['ood', 'variances'], [1, 0, 1], 'ood.variances[1]'],
    [['ood', 'residualVariance'], -1, 'ood.residualVariance'],
    [['ood', 'threshold'], undefined, 'ood.threshold'],
    [['ood', 'mean'], [1, 2, 3], 'ood.mean'],
    [['formatVersion'], 3, 'formatVersion'],
    [['gate', 'wrongModalityMinProbabilityBy'], { ct: 0.5 }, 'gate.wrongModalityMinProbabilityBy'],
    [['gate', 'wrongModalityMinProbabilityBy'], { cdfi: 2 }, 'gate.wrongModalityMinProbabilityBy.cdfi'],
    [['gate', 'textureFeatures'], ['lum-mean'], 'gate.textureFeatures'],
    [['textureOod'], undefined, 'textureOod'],
    [['textureOod', 'threshold'], 0, 'textureOod.threshold'],
    [['textureOod', 'mean'], [1, 2], 'textureOod.mean'],
  ])('refuses a bad %j, naming the field', (path, value, field) => {
    let err: unknown;
    try {
      parseInputCheck(patched(path as string[], value), 'x.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputCheckFileError);
    expect((err as InputCheckFileError).field).toBe(field);
  });

  it('refuses a file for a model with another number of channels', () => {
    expect(() => parseInputCheck(valid, 'x.json', 512)).toThrow(/512 channels/);
  });
});

describe('the bundled pack', () => {
  const dir = 'public/models/lymphscope-demo-r18';
  const manifest = parseManifest(JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8')));
  it('ships a valid input check for every modality, on 512 pooled ResNet-18 features', () => {
    for (const [m, spec] of Object.entries(manifest.modalities)) {
      expect(spec.inputCheck, m).toBe(`${m}/input-check.json`);
      const p = parseInputCheck(JSON.parse(readFileSync(`${dir}/${spec.inputCheck}`, 'utf8')), spec.inputCheck!, 512);
      expect(manifest.modalities[p.featureModel]).toBeDefined();
      // The texture statistics and their distance: the second check a photograph must also pass.
      expect(p.textureOod, m).toBeDefined();
    }
  });
});

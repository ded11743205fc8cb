/**
 * Every pack that passes manifest validation produces cases the history can save: a case built
 * from a manifest with every text field and the class count at its bound passes the history's
 * validation, and one character (or class) more is refused by the parser, because the history
 * would refuse the case.
 */

import { describe, expect, it } from 'vitest';
import { buildCaseRecord, summarize, validateCase, validateSummary, type CaseInput } from '../../../src/history';
import { InvalidDataError } from '../../../src/history/errors';
import { MANIFEST_LIMITS, ManifestError, parseManifest, type Manifest } from '../../../src/model-pack/manifest';
import { buildManifest, manifestCases } from './manifest-cases';

const atBounds = manifestCases.cases.find((c) => c.name === 'every text at its bound')!;
const sixteen = manifestCases.cases.find((c) => c.name === '16 classes')!;

function caseFrom(manifest: Manifest): CaseInput {
  const k = manifest.classes.length;
  const probabilities = Array.from({ length: k }, () => 1 / k);
  const side = 4;
  const rgba = (w: number, h: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(90) });
  return {
    manifest,
    backend: 'wasm',
    appVersion: '0.1.0',
    label: 'Node A',
    fused: probabilities,
    results: {
      bmode: {
        crop: rgba(side, side),
        roi: { x: 0, y: 0, width: side, height: side },
        source: rgba(side * 2, side * 2),
        analysis: {
          logits: probabilities.map(() => 0),
          probabilities,
          cams: {
            width: side,
            height: side,
            maps: probabilities.map(() => new Float32Array(side * side).fill(0.5)),
            empty: probabilities.map(() => false),
          },
        },
      },
    },
  };
}

function refusedField(json: unknown): string | null {
  try {
    parseManifest(json);
    return null;
  } catch (e) {
    if (e instanceof ManifestError) return e.field;
    throw e;
  }
}

/** Saving validates the record and its list summary; both must pass. */
function saveable(manifest: Manifest): void {
  const record = buildCaseRecord(caseFrom(manifest));
  validateCase(record);
  validateSummary(summarize(record));
}

describe('manifest text bounds and the case history', () => {
  it('a manifest with every text field at its bound produces a saveable case', () => {
    const manifest = parseManifest(buildManifest(atBounds));
    expect(manifest.title).toHaveLength(MANIFEST_LIMITS.title);
    expect(manifest.classes[1]!.label).toHaveLength(MANIFEST_LIMITS.classLabel);
    expect(manifest.intendedUse).toHaveLength(MANIFEST_LIMITS.intendedUse);
    expect(() => saveable(manifest)).not.toThrow();
  });

  it('so does a manifest with the most classes', () => {
    const manifest = parseManifest(buildManifest(sixteen));
    expect(manifest.classes).toHaveLength(MANIFEST_LIMITS.classes);
    expect(() => saveable(manifest)).not.toThrow();
  });

  // One past each bound: the history refuses the case, so the parser must refuse the pack.
  const over: [string, (m: Record<string, unknown> & { classes: { id: string; label: string }[] }) => void][] = [
    ['title', (m) => (m.title = 'x'.repeat(MANIFEST_LIMITS.title + 1))],
    ['id', (m) => (m.id = 'x'.repeat(MANIFEST_LIMITS.id + 1))],
    ['version', (m) => (m.version = '1.0.0-' + 'x'.repeat(MANIFEST_LIMITS.version - 5))],
    ['classes[1].label', (m) => (m.classes[1]!.label = 'x'.repeat(MANIFEST_LIMITS.classLabel + 1))],
    ['classes[0].id', (m) => (m.classes[0]!.id = 'x'.repeat(MANIFEST_LIMITS.classId + 1))],
    ['license', (m) => (m.license = 'x'.repeat(MANIFEST_LIMITS.license + 1))],
    ['intendedUse', (m) => (m.intendedUse = 'x'.repeat(MANIFEST_LIMITS.intendedUse + 1))],
    ['disclaimer', (m) => (m.disclaimer = 'x'.repeat(MANIFEST_LIMITS.disclaimer + 1))],
    [
      'classes',
      (m) => (m.classes = Array.from({ length: MANIFEST_LIMITS.classes + 1 }, (_, i) => ({ id: `c${i}`, label: `C${i}` }))),
    ],
  ];
  for (const [field, spoil] of over) {
    it(`one past the bound of "${field}": the history refuses the case and the parser the pack`, () => {
      const json = buildManifest(manifestCases.cases[0]!) as Parameters<typeof spoil>[0];
      spoil(json);
      // What a parser without the bound would have let through (same object, unvalidated).
      const unchecked = { ...(json as unknown as Manifest), fixture: true, fusion: { method: 'mean' } } as Manifest;
      expect(() => saveable(unchecked)).toThrow(InvalidDataError);
      expect(refusedField(json)).toBe(field);
    });
  }
});

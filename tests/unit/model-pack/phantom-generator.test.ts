import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, phantomGeneratorVersion } from '../../../src/model-pack';
import { manifestCases } from './manifest-cases';

const withTraining = (training: unknown): unknown => ({ ...manifestCases.base, training });

describe('training.phantomGenerator.version', () => {
  it('defaults to 1 when the pack does not say (the bundled pack, packs without simulated data)', () => {
    expect(phantomGeneratorVersion(parseManifest(withTraining({ summary: 'x' })))).toBe(1);
    expect(phantomGeneratorVersion(parseManifest(withTraining({ phantomGenerator: { commit: 'abc' } })))).toBe(1);
  });

  it('reads version 2', () => {
    expect(phantomGeneratorVersion(parseManifest(withTraining({ phantomGenerator: { version: 2 } })))).toBe(2);
  });

  it('refuses an unknown version and names the field', () => {
    for (const version of [0, 3, 1.5, '1', null]) {
      let error: unknown;
      try {
        parseManifest(withTraining({ phantomGenerator: { version } }));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ManifestError);
      expect((error as ManifestError).field).toBe('training.phantomGenerator.version');
    }
  });
});

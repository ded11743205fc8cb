import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_IDS,
  CLASS_IDS,
  datasetFolder,
  isBackendId,
  isClassId,
  isModalityId,
  MODALITY_DESCRIPTORS,
  MODALITY_IDS,
  modalityDescriptor,
  modalityForFolder,
  ModalityRegistryError,
  parseModalityRegistry,
  type ModalityId,
} from '../../../src/domain';
import registryJson from '../../../src/domain/modalities.json' with { type: 'json' };

const SRC = join(__dirname, '../../../src');

function entry(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'x',
    colourCoded: false,
    roi: { panel: 'least-colour', splitDualView: true, includeColourBox: false },
    inputCheck: { maxColourFraction: 0.15 },
    datasetFolders: ['x'],
    ...over,
  };
}

function problem(doc: unknown): string {
  try {
    parseModalityRegistry(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(ModalityRegistryError);
    return (e as ModalityRegistryError).message;
  }
  return 'accepted';
}

describe('modality registry', () => {
  it('names exactly the ids the ModalityId type does, in registry order', () => {
    // Exhaustive over the type: tsc fails when the type gains an id this object lacks.
    const typed: Record<ModalityId, true> = { bmode: true, cdfi: true, elastography: true };
    expect([...MODALITY_IDS].sort()).toEqual(Object.keys(typed).sort());
    expect(MODALITY_IDS).toEqual(registryJson.modalities.map((m) => m.id));
  });

  it('says what differs between the modalities today', () => {
    const b = modalityDescriptor('bmode');
    const c = modalityDescriptor('cdfi');
    const e = modalityDescriptor('elastography');
    expect([b.colourCoded, c.colourCoded, e.colourCoded]).toEqual([false, true, true]);
    expect(b.inputCheck).toEqual({ expect: 'grayscale', maxColourFraction: 0.15 });
    expect(c.inputCheck).toEqual({ expect: 'colour', minColourFraction: 0.005 });
    expect(b.roi).toEqual({ panel: 'least-colour', splitDualView: true, includeColourBox: false });
    expect(c.roi).toEqual({ panel: 'most-colour', splitDualView: false, includeColourBox: true });
    expect(e.roi).toEqual({ panel: 'most-colour', splitDualView: true, includeColourBox: true });
  });

  it('maps data set folders to modalities (CV4LymphNode layout), ignoring case', () => {
    expect(modalityForFolder('2d')).toBe('bmode');
    expect(modalityForFolder('ELASTIC')).toBe('elastography');
    expect(modalityForFolder('cdfi')).toBe('cdfi');
    expect(modalityForFolder('bmode')).toBeNull(); // an id is not a folder name unless listed
    expect(modalityForFolder('')).toBeNull();
    expect(MODALITY_IDS.map(datasetFolder)).toEqual(['2d', 'cdfi', 'elastic']);
  });

  it('refuses an unknown id', () => {
    expect(() => modalityDescriptor('swe' as ModalityId)).toThrow(RangeError);
    expect(isModalityId('swe')).toBe(false);
    expect(isModalityId('bmode')).toBe(true);
    expect(isModalityId(1)).toBe(false);
  });

  it('validates the registry file and names the bad field', () => {
    expect(parseModalityRegistry(registryJson)).toEqual(MODALITY_DESCRIPTORS);
    expect(problem([])).toMatch(/"\(root\)" must be an object/);
    expect(problem({ modalities: [] })).toMatch(/"modalities" must be a non-empty array/);
    expect(problem({ modalities: [entry({ id: 'B-mode' })] })).toMatch(/modalities\[0\]\.id/);
    expect(problem({ modalities: [entry(), entry({ datasetFolders: ['y'] })] })).toMatch(/modalities\[1\]\.id" repeats "x"/);
    expect(problem({ modalities: [entry(), entry({ id: 'y', datasetFolders: ['X'] })] })).toMatch(
      /modalities\[1\]\.datasetFolders\[0\]" repeats/,
    );
    expect(problem({ modalities: [entry({ datasetFolders: ['../up'] })] })).toMatch(/must be a folder name/);
    expect(problem({ modalities: [entry({ roi: { panel: 'left', splitDualView: true, includeColourBox: false } })] })).toMatch(
      /roi\.panel/,
    );
    expect(problem({ modalities: [entry({ colourCoded: true })] })).toMatch(/maxColourFraction" is for grayscale/);
    expect(problem({ modalities: [entry({ inputCheck: { maxColourFraction: 2 } })] })).toMatch(/in \[0, 1\]/);
    expect(problem({ modalities: [entry({ colourCoded: 'no' })] })).toMatch(/colourCoded" must be true or false/);
    expect(problem({ modalities: [entry({ colourCoded: true, inputCheck: { minColourFraction: 0.01 } })] })).toBe('accepted');
  });

  it('has guards for class and backend ids', () => {
    expect(CLASS_IDS.every(isClassId)).toBe(true);
    expect(isClassId('normal')).toBe(false);
    expect(BACKEND_IDS.every(isBackendId)).toBe(true);
    expect(isBackendId('auto')).toBe(false);
  });
});

/** Every .ts/.svelte file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|svelte)$/.test(name) ? [p] : [];
  });
}

describe('nothing outside the registry spells out a modality', () => {
  it('no modality id as a string literal in src/ outside domain, i18n and phantoms', () => {
    // i18n keys its name tables by id; the phantom simulator renders each modality it models.
    const exempt = /^(domain|i18n|phantoms)\//;
    const literal = new RegExp(`(['"\`])(${MODALITY_IDS.join('|')})\\1`);
    const found = sources(SRC)
      .map((p) => relative(SRC, p).replaceAll('\\', '/'))
      .filter((rel) => !exempt.test(rel))
      .flatMap((rel) =>
        readFileSync(join(SRC, rel), 'utf8')
          .split('\n')
          .flatMap((line, i) => (literal.test(line) ? [`src/${rel}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(found).toEqual([]);
  });
});

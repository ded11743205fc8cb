import { describe, expect, it } from 'vitest';
import {
  applyClassMapping,
  assignPatients,
  buildCases,
  compileFileNamePattern,
  discoverFolders,
  fuseCase,
  patientFromName,
  previewPattern,
  type LabelledImage,
} from '../../../src/validation';

const CLASSES = ['metastatic', 'lymphoma', 'benign'];

function regexOf(pattern: string): RegExp {
  const c = compileFileNamePattern(pattern);
  if (!c.ok) throw new Error(c.error);
  return c.regex;
}

describe('class mapping', () => {
  const d = discoverFolders(
    ['2d/0/171-1.jpg', '2d/1/172-1.jpg', '2d/2/173-1.jpg', '2d/x/174-1.jpg'].map((path) => ({ path, size: 10 })),
  );

  it('names every folder without an answer instead of guessing', () => {
    const r = applyClassMapping(d.images, { '0': 'metastatic', '1': 'lymphoma' }, CLASSES);
    expect(r).toEqual({ ok: false, unmapped: ['2', 'x'], unknownClasses: [], modalityUnset: false });
  });

  it('refuses an answer that is not a class of the pack', () => {
    const r = applyClassMapping(d.images, { '0': 'metastatic', '1': 'lymphoma', '2': 'benign', x: 'reactive' }, CLASSES);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.unknownClasses).toEqual(['reactive']);
  });

  it('maps folders to class indices and leaves out folders mapped to nothing', () => {
    const r = applyClassMapping(d.images, { '0': 'benign', '1': 'lymphoma', '2': 'metastatic', x: null }, CLASSES);
    expect(r.ok && r.excluded).toBe(1);
    expect(r.ok && r.images.map((i) => i.classIndex)).toEqual([2, 1, 0]);
  });

  it('waits for the modality of a single-modality folder', () => {
    const single = discoverFolders([{ path: '0/a.jpg', size: 1 }]);
    const r = applyClassMapping(single.images, { '0': 'benign' }, CLASSES);
    expect(r.ok === false && r.modalityUnset).toBe(true);
  });
});

describe('file-name patterns', () => {
  it('reads the patient id with the small pattern language', () => {
    expect(patientFromName(regexOf('{patient}-*'), '2d/0/171-3.jpg')).toBe('171');
    expect(patientFromName(regexOf('P{patient}_#.png'), 'x/P0042_7.PNG')).toBe('0042');
    expect(patientFromName(regexOf('{patient}-*'), 'cdfi/0/171.jpg')).toBeNull();
    // Literal characters that mean something in a regular expression stay literal.
    expect(patientFromName(regexOf('case({patient}).jpg'), 'case(12).jpg')).toBe('12');
    expect(patientFromName(regexOf('case({patient}).jpg'), 'case(12)xjpg')).toBeNull();
  });

  it('accepts a regular expression with exactly one capture group', () => {
    expect(patientFromName(regexOf('^(\\d+)_'), 'a/0/88_2.jpg')).toBe('88');
    expect(compileFileNamePattern('^\\d+')).toEqual({ ok: false, error: 'no-capture-group' });
    expect(compileFileNamePattern('^(\\d+)_(\\d+)')).toEqual({ ok: false, error: 'several-capture-groups' });
    expect(compileFileNamePattern('^(?:a)(\\d+)').ok).toBe(true);
    expect(compileFileNamePattern('([')).toEqual({ ok: false, error: 'invalid-regex' });
    expect(compileFileNamePattern('  ')).toEqual({ ok: false, error: 'empty' });
    expect(compileFileNamePattern('{patient}-{patient}')).toEqual({ ok: false, error: 'several-patient-fields' });
  });

  it('previews examples spread over the set and the names it does not match', () => {
    const paths = Array.from({ length: 20 }, (_, i) => `2d/0/${100 + Math.floor(i / 2)}-${(i % 2) + 1}.jpg`).concat([
      '2d/0/scan.jpg',
    ]);
    const p = previewPattern(regexOf('{patient}-*'), paths, 3);
    expect(p.examples).toEqual([
      { fileName: '100-1.jpg', patientId: '100' },
      { fileName: '105-1.jpg', patientId: '105' },
      { fileName: '109-2.jpg', patientId: '109' },
    ]);
    expect(p).toMatchObject({ unmatched: ['scan.jpg'], unmatchedCount: 1, patients: 10 });
    expect(previewPattern(regexOf('{patient}-*'), paths, 1).examples).toEqual([{ fileName: '100-1.jpg', patientId: '100' }]);
  });
});

describe('patients and cases', () => {
  const images: LabelledImage[] = [
    { path: '2d/0/171-1.jpg', modality: 'bmode', classIndex: 0, patientId: null },
    { path: '2d/0/171-2.jpg', modality: 'bmode', classIndex: 0, patientId: null },
    { path: 'cdfi/0/171-1.jpg', modality: 'cdfi', classIndex: 0, patientId: null },
    { path: '2d/2/172-1.jpg', modality: 'bmode', classIndex: 2, patientId: null },
  ];

  it('fuses images of one patient in different modalities into one case', () => {
    const r = assignPatients(images, { kind: 'file-name', regex: regexOf('{patient}-*') });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(buildCases(r.images)).toEqual([
      { patientId: '171', classIndex: 0, images: { bmode: ['2d/0/171-1.jpg', '2d/0/171-2.jpg'], cdfi: ['cdfi/0/171-1.jpg'] } },
      { patientId: '172', classIndex: 2, images: { bmode: ['2d/2/172-1.jpg'] } },
    ]);
  });

  it('names images without an id and patients whose images disagree on the class', () => {
    const unmatched = assignPatients(images, { kind: 'file-name', regex: regexOf('{patient}-2.jpg') });
    expect(unmatched).toMatchObject({ ok: false, error: 'no-patient-id' });
    expect(!unmatched.ok && unmatched.error === 'no-patient-id' && unmatched.paths).toHaveLength(3);
    const conflict = assignPatients([...images, { path: 'cdfi/2/171-9.jpg', modality: 'cdfi', classIndex: 2, patientId: null }], {
      kind: 'file-name',
      regex: regexOf('{patient}-*'),
    });
    expect(conflict).toEqual({ ok: false, error: 'patient-class-conflict', patients: ['171'] });
  });

  it('uses the CSV column, or one patient per image', () => {
    const withIds = images.map((img, i) => ({ ...img, patientId: i < 3 ? 'A' : 'B' }));
    const r = assignPatients(withIds, { kind: 'csv-column' });
    expect(r.ok && buildCases(r.images).map((c) => c.patientId)).toEqual(['A', 'B']);
    expect(assignPatients(images, { kind: 'csv-column' })).toMatchObject({ ok: false, error: 'no-patient-id' });
    const per = assignPatients(images, { kind: 'per-image' });
    expect(per.ok && buildCases(per.images)).toHaveLength(4);
  });

  it("averages a modality's images, then fuses by the pack's rule, skipping unreadable images", () => {
    const r = assignPatients(images, { kind: 'file-name', regex: regexOf('{patient}-*') });
    if (!r.ok) throw new Error('grouping failed');
    const [c171] = buildCases(r.images);
    const probs: Record<string, number[]> = {
      '2d/0/171-1.jpg': [0.6, 0.2, 0.2],
      '2d/0/171-2.jpg': [0.8, 0.0, 0.2],
      'cdfi/0/171-1.jpg': [0.1, 0.1, 0.8],
    };
    const f = fuseCase(c171!, (p) => probs[p], { method: 'weighted-mean', weights: { bmode: 3, cdfi: 1 } })!;
    expect(f.perModality.bmode![0]).toBeCloseTo(0.7, 12);
    expect(f.fused[0]).toBeCloseTo(0.75 * 0.7 + 0.25 * 0.1, 12);
    expect(f.fused.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(fuseCase(c171!, () => undefined, { method: 'mean' })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import {
  detectLayout,
  discoverCsv,
  discoverFolders,
  fileSkipReason,
  isBlocking,
  withModality,
  type FileEntry,
} from '../../../src/validation';

const files = (...paths: string[]): FileEntry[] => paths.map((path) => ({ path, size: 1000 }));
const codes = (d: { problems: { code: string }[] }) => d.problems.map((p) => p.code);

describe('folder layout', () => {
  it('reads the seed study layout under the picked folder, by data set folder or app id', () => {
    const d = discoverFolders(
      files(
        'study/2d/0/171-1.jpg',
        'study/2d/0/171-2.jpg',
        'study/2d/2/172-1.png',
        'study/CDFI/0/171-1.jpg',
        'study/elastography/2/172-1.bmp',
      ),
    );
    expect(d.layout).toBe('modality-folders');
    expect(d.root).toBe('study');
    expect(d.classLabels).toEqual(['0', '2']);
    expect(d.counts).toEqual([
      { modality: 'bmode', classLabel: '0', count: 2 },
      { modality: 'bmode', classLabel: '2', count: 1 },
      { modality: 'cdfi', classLabel: '0', count: 1 },
      { modality: 'elastography', classLabel: '2', count: 1 },
    ]);
    expect(d.problems).toEqual([]);
    expect(d.images[0]).toEqual({
      path: 'study/2d/0/171-1.jpg',
      size: 1000,
      modality: 'bmode',
      classLabel: '0',
      patientId: null,
    });
  });

  it('lists class folders by name, in natural order, without guessing what they mean', () => {
    const d = discoverFolders(files('2d/benign/a.jpg', '2d/10/b.jpg', '2d/2/c.jpg', '2d/Lymphoma/d.jpg'));
    expect(d.classLabels).toEqual(['2', '10', 'benign', 'Lymphoma']);
    expect(d.images.every((i) => typeof i.classLabel === 'string')).toBe(true);
  });

  it('lists and counts unreadable, non-image, empty and system files with reasons', () => {
    const d = discoverFolders([
      ...files(
        '2d/0/a.jpg',
        '2d/0/notes.txt',
        '2d/0/.DS_Store',
        '__MACOSX/2d/0/._a.jpg',
        '2d/0/Thumbs.db',
        'README.pdf',
        '../evil.jpg',
      ),
      { path: '2d/0/empty.jpg', size: 0 },
    ]);
    expect(d.images.map((i) => i.path)).toEqual(['2d/0/a.jpg']);
    expect(Object.fromEntries(d.skipped.map((s) => [s.path, s.reason]))).toEqual({
      '2d/0/notes.txt': 'not-an-image',
      '2d/0/.DS_Store': 'system-file',
      '__MACOSX/2d/0/._a.jpg': 'system-file',
      '2d/0/Thumbs.db': 'system-file',
      'README.pdf': 'not-an-image',
      '../evil.jpg': 'unsafe-path',
      '2d/0/empty.jpg': 'empty-file',
    });
    expect(d.problems).toContainEqual({ code: 'skipped-files', count: 7 });
    expect(d.problems).toContainEqual({ code: 'one-class', classLabel: '0' });
  });

  it('keeps extension-less files (DICOM exports) as candidates', () => {
    expect(fileSkipReason({ path: 'cdfi/1/IM000001', size: 5 })).toBeNull();
    expect(fileSkipReason({ path: 'cdfi/1/scan.DCM', size: 5 })).toBeNull();
  });

  it('says so for an empty folder and for a folder of no images', () => {
    const empty = discoverFolders([]);
    expect(codes(empty)).toEqual(['no-files']);
    expect(isBlocking(empty.problems[0]!)).toBe(true);
    const none = discoverFolders(files('2d/0/a.txt', '2d/1/b.docx'));
    expect(none.problems[0]).toEqual({ code: 'no-images', skipped: 2 });
    expect(isBlocking(none.problems[0]!)).toBe(true);
  });

  it('tells nested folders inside class folders, images outside modality folders, and stray folders', () => {
    const d = discoverFolders(files('2d/0/a.jpg', '2d/1/extra/deeper/b.jpg', '2d/c.jpg', 'misc/d.jpg', 'top.jpg'));
    expect(d.images.map((i) => [i.path, i.classLabel])).toEqual([
      ['2d/0/a.jpg', '0'],
      ['2d/1/extra/deeper/b.jpg', '1'],
    ]);
    expect(d.problems).toContainEqual({ code: 'nested-folders', folders: ['2d/1/extra/deeper'] });
    expect(d.problems).toContainEqual({ code: 'unknown-folder', folder: 'misc', files: 1 });
    expect(d.skipped).toContainEqual({ path: '2d/c.jpg', reason: 'no-class-folder' });
    expect(d.skipped).toContainEqual({ path: 'top.jpg', reason: 'outside-modality-folders' });
    expect(d.problems.some(isBlocking)).toBe(false);
  });

  it('refuses two data sets picked together', () => {
    const d = discoverFolders(files('siteA/2d/0/a.jpg', 'siteB/cdfi/1/b.jpg'));
    expect(d.problems).toEqual([{ code: 'several-roots', roots: ['siteA', 'siteB'] }]);
    expect(isBlocking(d.problems[0]!)).toBe(true);
  });

  it('says when the modality folders hold one modality only', () => {
    const d = discoverFolders(files('2d/0/a.jpg', '2d/1/b.jpg'));
    expect(d.problems).toEqual([{ code: 'one-modality', modality: 'bmode' }]);
    expect(isBlocking(d.problems[0]!)).toBe(false);
  });

  it('does not take a wrapper folder named like a modality for the modality', () => {
    const d = discoverFolders(files('cdfi/2d/0/a.jpg', 'cdfi/elastic/1/b.jpg'));
    expect(d.root).toBe('cdfi');
    expect(d.images.map((i) => [i.modality, i.classLabel])).toEqual([
      ['bmode', '0'],
      ['elastography', '1'],
    ]);
  });

  it('takes a folder without modality folders as one modality, which the user then names', () => {
    const d = discoverFolders(files('cdfi-export/0/a.jpg', 'cdfi-export/1/b.jpg', 'cdfi-export/1/c.png'));
    expect(d.layout).toBe('single-modality');
    expect(d.root).toBe('cdfi-export');
    expect(codes(d)).toEqual(['single-modality']);
    expect(d.images.every((i) => i.modality === null)).toBe(true);
    const named = withModality(d, 'cdfi');
    expect(named.problems).toEqual([]);
    expect(named.counts).toEqual([
      { modality: 'cdfi', classLabel: '0', count: 1 },
      { modality: 'cdfi', classLabel: '1', count: 2 },
    ]);
  });

  it('reads 10,000 files quickly', () => {
    const many: FileEntry[] = [];
    for (let i = 0; i < 10_000; i++)
      many.push({ path: `big/${['2d', 'cdfi', 'elastic'][i % 3]}/${i % 4}/${i}.jpg`, size: 100 + i });
    const t0 = performance.now();
    const d = discoverFolders(many);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(d.images).toHaveLength(10_000);
    expect(d.counts.reduce((s, c) => s + c.count, 0)).toBe(10_000);
    expect(d.counts).toHaveLength(12);
  });
});

describe('layout detection', () => {
  it('prefers modality folders, and a CSV only when there are none', () => {
    expect(detectLayout(files('2d/0/a.jpg', 'splits.csv'))).toEqual({ kind: 'folders', csvFiles: ['splits.csv'] });
    expect(detectLayout(files('images/a.jpg', 'sub/other.csv', 'labels.CSV'))).toEqual({
      kind: 'csv',
      csvFiles: ['labels.CSV', 'sub/other.csv'],
    });
    expect(detectLayout(files('0/a.jpg'))).toEqual({ kind: 'folders', csvFiles: [] });
  });
});

describe('CSV layout', () => {
  const entries = files(
    'set/labels.csv',
    'set/img/171-1.jpg',
    'set/img/171-2.jpg',
    'set/img/172-1.jpg',
    'set/img/extra.jpg',
    'set/notes.txt',
  );

  it('reads a header in any order and any spelling, paths relative to the CSV', () => {
    const csv =
      'Diagnosis,Image Path,Patient_ID,Modality\nmal,img/171-1.jpg,171,2d\nmal,img/171-2.jpg,171,CDFI\nben,img/172-1.jpg,172,elastography\n';
    const d = discoverCsv(csv, 'set/labels.csv', entries);
    expect(d.layout).toBe('csv');
    expect(d.root).toBe('set');
    expect(d.images).toEqual([
      { path: 'set/img/171-1.jpg', size: 1000, modality: 'bmode', classLabel: 'mal', patientId: '171' },
      { path: 'set/img/171-2.jpg', size: 1000, modality: 'cdfi', classLabel: 'mal', patientId: '171' },
      { path: 'set/img/172-1.jpg', size: 1000, modality: 'elastography', classLabel: 'ben', patientId: '172' },
    ]);
    expect(d.classLabels).toEqual(['ben', 'mal']);
    expect(d.skipped).toEqual([
      { path: 'set/img/extra.jpg', reason: 'not-in-csv' },
      { path: 'set/notes.txt', reason: 'not-an-image' },
    ]);
  });

  it('matches paths written on another machine by their longest tail that names a picked file', () => {
    const csv = 'path,modality,class\nC:\\data\\set\\img\\171-1.jpg,2d,0\n/home/u/img/172-1.jpg,2d,1\n../../img/171-2.jpg,2d,1\n';
    const d = discoverCsv(csv, 'set/labels.csv', entries);
    expect(d.images.map((i) => i.path)).toEqual(['set/img/171-1.jpg', 'set/img/172-1.jpg', 'set/img/171-2.jpg']);
    expect(d.problems).toContainEqual({ code: 'csv-paths-by-suffix', rows: 3 });
  });

  it('reads a CSV without header positionally and says so', () => {
    const d = discoverCsv('set/img/171-1.jpg,2d,0,171\n', 'labels.csv', entries);
    expect(d.problems).toContainEqual({ code: 'csv-positional-columns' });
    expect(d.images[0]).toMatchObject({ path: 'set/img/171-1.jpg', modality: 'bmode', classLabel: '0', patientId: '171' });
  });

  it('names each bad row: missing file, unknown modality, empty cell, repeated path', () => {
    const csv = [
      'path,modality,class',
      'img/171-1.jpg,2d,0',
      'img/missing.jpg,2d,0',
      'img/171-2.jpg,ultrasound,0',
      'img/172-1.jpg,cdfi,',
      'img/171-1.jpg,cdfi,1',
    ].join('\n');
    const d = discoverCsv(csv, 'set/labels.csv', entries);
    expect(d.images).toHaveLength(1);
    expect(d.problems).toEqual(
      expect.arrayContaining([
        { code: 'csv-file-missing', line: 3, path: 'img/missing.jpg' },
        { code: 'csv-unknown-modality', line: 4, value: 'ultrasound' },
        { code: 'csv-missing-value', line: 5, column: 'class' },
        { code: 'csv-repeated-row', line: 6, path: 'set/img/171-1.jpg' },
        { code: 'one-class', classLabel: '0' },
      ]),
    );
  });

  it('blocks on a broken or empty CSV or one without a class column', () => {
    expect(discoverCsv('path,modality,class\n"img/a.jpg,2d,0\n', 'labels.csv', entries).problems[0]).toEqual({
      code: 'csv-syntax',
      line: 2,
      problem: 'unclosed-quote',
    });
    expect(codes(discoverCsv('\n\n', 'labels.csv', entries))).toEqual(['csv-empty']);
    const noClass = discoverCsv('path,modality\nimg/171-1.jpg,2d\n', 'set/labels.csv', entries);
    expect(noClass.problems).toEqual([{ code: 'csv-missing-column', column: 'class' }]);
    expect(noClass.problems.every(isBlocking)).toBe(true);
  });
});

/**
 * The DICOM export and the page-image PDF, read back by dicom-parser and by an independent reader
 * (pydicom, Debian's python3-pydicom), and the PDF by poppler (pdfinfo).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { emptyDescriptors, newExam } from '../../../src/domain';
import { makeCase } from '../history/fixtures';
import {
  encapsulatedPdf,
  imagesToPdf,
  PAGE_SIZES_PT,
  secondaryCapture,
  structuredReport,
  SOP_CLASS,
  studyUidOf,
  uuidToUid,
  type DicomContext,
} from '../../../src/report';

function jpegPage(w: number, h: number, shade: number): { jpeg: Uint8Array; widthPx: number; heightPx: number } {
  const data = Buffer.alloc(w * h * 4, shade);
  const out = jpeg.encode({ data, width: w, height: h }, 90);
  return { jpeg: new Uint8Array(out.data), widthPx: w, heightPx: h };
}

const exam = {
  ...newExam('6f1c2a4e-8a1b-4c3d-9e2f-0123456789ab'),
  accession: 'RIS-77',
  patientRef: 'PAT-9',
  reporter: 'Dr Chen',
  date: '2026-03-04',
};
const ctx = (): DicomContext => ({
  exam,
  studyUid: uuidToUid(exam.id),
  seriesDescription: 'LymphScope report',
  seriesUid: '2.25.1234',
  seriesNumber: 901,
  now: new Date('2026-03-04T10:11:12Z'),
  appVersion: '0.1.0',
});

const dir = mkdtempSync(join(tmpdir(), 'lymphscope-dicom-'));

/** What pydicom (an independent reader) finds in a file. */
function pydicom(file: string): Record<string, unknown> {
  const code = [
    'import json, sys, pydicom',
    'd = pydicom.dcmread(sys.argv[1])',
    'out = {k: str(d.get(k, "")) for k in ["SOPClassUID", "PatientID", "PatientName", "AccessionNumber", "StudyInstanceUID", "Modality", "MIMETypeOfEncapsulatedDocument", "NameOfPhysiciansReadingStudy", "StudyDate"]}',
    'out["TransferSyntax"] = str(d.file_meta.TransferSyntaxUID)',
    'if "EncapsulatedDocument" in d: out["documentHex"] = bytes(d.EncapsulatedDocument).hex()',
    'if "PixelData" in d: a = d.pixel_array; out["shape"] = list(a.shape); out["pixel"] = [int(x) for x in a[1, 2]]',
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' })) as Record<string, unknown>;
}

describe('page-image PDF', () => {
  it('writes a PDF poppler reads: page count, page size, title', () => {
    const pdf = imagesToPdf([jpegPage(62, 88, 200), jpegPage(62, 88, 100)], { ...PAGE_SIZES_PT.a4, title: '颈部报告 report' });
    const file = join(dir, 'pages.pdf');
    writeFileSync(file, pdf);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    expect(info).toMatch(/Pages:\s+2/);
    expect(info).toMatch(/Page size:\s+595\.2\d? x 841\.8\d? pts \(A4\)/);
    expect(info).toMatch(/Title:\s+颈部报告 report/);
    // poppler complains on stderr about a bad cross-reference table; there must be none.
    const run = spawnSync('pdfinfo', [file], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(() =>
      imagesToPdf([{ jpeg: new Uint8Array([1, 2, 3, 4, 5]), widthPx: 1, heightPx: 1 }], { ...PAGE_SIZES_PT.a4, title: '' }),
    ).toThrow(/not a JPEG/);
  });
});

describe('DICOM export', () => {
  it('derives the study UID from the examination id', async () => {
    expect(uuidToUid('00000000-0000-0000-0000-000000000010')).toBe('2.25.16');
    expect(await studyUidOf(exam.id)).toBe(uuidToUid(exam.id));
    expect(uuidToUid(exam.id)).toMatch(/^2\.25\.\d{30,39}$/);
    const other = await studyUidOf('exam-000001');
    expect(other).toMatch(/^2\.25\.[1-9]\d{0,38}$/);
    expect(await studyUidOf('exam-000001')).toBe(other);
    expect(await studyUidOf('exam-000002')).not.toBe(other);
  });

  it('writes an Encapsulated PDF that dicom-parser and pydicom read, with the typed identifiers only and the PDF intact', () => {
    const pdf = imagesToPdf([jpegPage(31, 44, 180)], { ...PAGE_SIZES_PT.letter, title: 'r' });
    expect(pdf.length % 2).toBe(1); // exercises the even-length padding
    const bytes = encapsulatedPdf(pdf, ctx(), 'Cervical lymph node ultrasound report');
    const ds = dicomParser.parseDicom(bytes);
    expect(ds.string('x00080016')).toBe(SOP_CLASS.encapsulatedPdf);
    expect(ds.string('x00100020')).toBe('PAT-9');
    expect(ds.string('x00080050')).toBe('RIS-77');
    expect(ds.string('x00100010') ?? '').toBe('');
    expect(ds.string('x00420012')).toBe('application/pdf');
    const el = ds.elements.x00420011!;
    const doc = bytes.subarray(el.dataOffset, el.dataOffset + el.length);
    expect(Buffer.from(doc.subarray(0, pdf.length)).equals(Buffer.from(pdf))).toBe(true);

    const file = join(dir, 'report.dcm');
    writeFileSync(file, bytes);
    const py = pydicom(file);
    expect(py).toMatchObject({
      SOPClassUID: SOP_CLASS.encapsulatedPdf,
      PatientID: 'PAT-9',
      PatientName: '',
      AccessionNumber: 'RIS-77',
      NameOfPhysiciansReadingStudy: 'Dr Chen',
      StudyDate: '20260304',
      StudyInstanceUID: uuidToUid(exam.id),
      Modality: 'DOC',
      MIMETypeOfEncapsulatedDocument: 'application/pdf',
      TransferSyntax: '1.2.840.10008.1.2.1',
    });
    expect((py.documentHex as string).slice(0, pdf.length * 2)).toBe(Buffer.from(pdf).toString('hex'));
  });

  it('writes a Secondary Capture whose pixels both readers agree on', () => {
    const w = 5,
      h = 3;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([i * 10, 255 - i * 10, i, 255], i * 4);
    const bytes = secondaryCapture({ width: w, height: h, rgba, description: 'Node 1 B-mode' }, ctx(), 3);
    const ds = dicomParser.parseDicom(bytes);
    expect(ds.string('x00080016')).toBe(SOP_CLASS.secondaryCapture);
    expect(ds.uint16('x00280010')).toBe(h);
    expect(ds.uint16('x00280011')).toBe(w);
    expect(ds.string('x00280004')).toBe('RGB');
    const px = ds.elements.x7fe00010!;
    const at = (y: number, x: number) =>
      Array.from(bytes.subarray(px.dataOffset + (y * w + x) * 3, px.dataOffset + (y * w + x) * 3 + 3));
    expect(at(1, 2)).toEqual([70, 185, 7]);
    const file = join(dir, 'sc.dcm');
    writeFileSync(file, bytes);
    const py = pydicom(file);
    expect(py).toMatchObject({
      SOPClassUID: SOP_CLASS.secondaryCapture,
      PatientID: 'PAT-9',
      shape: [h, w, 3],
      pixel: [70, 185, 7],
    });
  });
});

describe('DICOM structured report', () => {
  it("carries each node's findings, the AI result apart, and the conclusion, readable by pydicom", () => {
    const node = makeCase('n', 1);
    node.exam = { ...exam, conclusion: 'Suspicious node.', approvedAt: '2026-03-04T10:00:00.000Z' };
    node.descriptors = {
      ...emptyDescriptors(),
      level: 'II',
      side: 'left',
      longAxisMm: 18.5,
      shortAxisMm: 11.2,
      hilum: 'absent',
      vascularPattern: 'peripheral',
      vascularGrade: 3,
      strainRatio: 3.25,
      impression: 'round',
    };
    const bytes = structuredReport([node], { ...ctx(), exam: node.exam }, 1);
    const ds = dicomParser.parseDicom(bytes);
    expect(ds.string('x00080016')).toBe(SOP_CLASS.comprehensiveSr);
    expect(ds.string('x0040a491')).toBe('COMPLETE');
    const file = join(dir, 'sr.dcm');
    writeFileSync(file, bytes);
    const code = [
      'import json, sys, pydicom',
      'd = pydicom.dcmread(sys.argv[1])',
      'def walk(items, out):',
      '    for it in items:',
      '        name = it.ConceptNameCodeSequence[0].CodeMeaning',
      '        if it.ValueType == "TEXT": out.append([name, str(it.TextValue)])',
      '        elif it.ValueType == "NUM": m = it.MeasuredValueSequence[0]; out.append([name, float(m.NumericValue), m.MeasurementUnitsCodeSequence[0].CodeValue])',
      '        elif it.ValueType == "CONTAINER": out.append([name]); walk(it.ContentSequence, out)',
      '    return out',
      'print(json.dumps({"id": str(d.PatientID), "title": d.ConceptNameCodeSequence[0].CodeMeaning, "items": walk(d.ContentSequence, [])}))',
    ].join('\n');
    const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' })) as {
      id: string;
      title: string;
      items: unknown[][];
    };
    expect(py.id).toBe('PAT-9');
    expect(py.title).toBe('Cervical lymph node ultrasound findings');
    expect(py.items).toContainEqual(['Node 1']);
    expect(py.items).toContainEqual(['Nodal level', 'II']);
    expect(py.items).toContainEqual(['Long axis', 18.5, 'mm']);
    expect(py.items).toContainEqual(['Short axis', 11.2, 'mm']);
    expect(py.items).toContainEqual(['Echogenic hilum', 'absent']);
    expect(py.items).toContainEqual(['Vascular grade (Adler)', 3, '1']);
    expect(py.items).toContainEqual(['Strain ratio', 3.25, '1']);
    expect(py.items).toContainEqual(['Conclusion', 'Suspicious node.']);
    const ratio = py.items.find((i) => i[0] === 'Short-to-long axis ratio')!;
    expect(ratio[1] as number).toBeCloseTo(11.2 / 18.5, 8);
    expect(py.items.find((i) => i[0] === 'AI assessment (decision support, not a diagnosis)')![1]).toMatch(
      /^Metastatic 50\.0% \(fused; model test-pack 1\.2\.3\)$/,
    );
  });
});

/**
 * The report's exports: the examination's JSON imports back into the history exactly; the DICOM
 * Encapsulated PDF and Secondary Captures parse with dicom-parser and pydicom, carry the right SOP
 * classes and only the identifiers the user typed (never the patient tags of an imported DICOM
 * image), and the PDF inside shows the same pages as the printed report.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { expect, test, type Download, type Page } from '@playwright/test';
import { dicomFixtures, FIXTURE_PATIENT } from '../../scripts/make-dicom-fixtures';
import { analyze, modalityImage, openApp, upload } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'lymphscope-export-'));
const PDF_CLASS = '1.2.840.10008.5.1.4.1.1.104.1';
const SC_CLASS = '1.2.840.10008.5.1.4.1.1.7';

async function downloaded(page: Page, testid: string): Promise<Buffer> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  return readFileSync((await (d as Download).path())!);
}

function pydicom(file: string): Record<string, unknown> {
  const code = [
    'import json, sys, pydicom',
    'd = pydicom.dcmread(sys.argv[1])',
    'print(json.dumps({k: str(d.get(k, "")) for k in ["SOPClassUID", "PatientID", "PatientName", "AccessionNumber", "StudyInstanceUID", "NameOfPhysiciansReadingStudy"]}))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' })) as Record<string, unknown>;
}

/** Each page of a PDF rendered to grey pixels at `dpi` (poppler). */
function renderPages(pdf: Buffer, name: string, dpi: number): PNG[] {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  execFileSync('pdftoppm', ['-r', String(dpi), '-gray', '-png', file, join(dir, name)]);
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
  return Array.from({ length: pages }, (_, i) => PNG.sync.read(readFileSync(join(dir, `${name}-${i + 1}.png`))));
}

/**
 * How alike two renderings of a page are: the mean absolute difference (0–255) of their mean grey
 * over blocks of `block` pixels (text laid out a pixel apart is the same page; a missing or moved
 * section is not), and the mean darkness (255 − grey) of each.
 */
function compare(a: PNG, b: PNG, block = 8): { diff: number; darkA: number; darkB: number } {
  // Page sizes agree to a point; the renderings to a pixel.
  expect(Math.abs(a.width - b.width)).toBeLessThanOrEqual(1);
  expect(Math.abs(a.height - b.height)).toBeLessThanOrEqual(1);
  const w = Math.min(a.width, b.width),
    h = Math.min(a.height, b.height);
  let diff = 0,
    blocks = 0,
    darkA = 0,
    darkB = 0;
  for (let by = 0; by + block <= h; by += block)
    for (let bx = 0; bx + block <= w; bx += block) {
      let sa = 0,
        sb = 0;
      for (let y = by; y < by + block; y++)
        for (let x = bx; x < bx + block; x++) {
          const p = a.data[(y * a.width + x) * 4]!,
            q = b.data[(y * b.width + x) * 4]!;
          sa += p;
          sb += q;
          darkA += 255 - p;
          darkB += 255 - q;
        }
      diff += Math.abs(sa - sb) / (block * block);
      blocks++;
    }
  const n = blocks * block * block;
  return { diff: diff / blocks, darkA: darkA / n, darkB: darkB / n };
}

test('examination exports: JSON round trip through the history, DICOM report and images', async ({ page }) => {
  test.setTimeout(300_000);
  page.on('dialog', (d) => void d.accept());
  await openApp(page);
  await page.getByTestId('exam-accession').fill('ACC-9001');
  await page.getByTestId('exam-reporter').fill('Dr. Typed Reporter');
  await page.getByTestId('exam-patient').fill('TYPED-PAT-1');
  // A DICOM image that carries a patient's name, id and institution: none of it may be exported.
  const dcm = dicomFixtures().find((f) => f.name === 'mono2-explicit.dcm')!;
  await upload(page, 'bmode', 'patient.dcm', Buffer.from(dcm.bytes), 'application/dicom');
  await upload(page, 'cdfi', 'cdfi.png', modalityImage('cdfi', 3));
  await expect(page.getByTestId('slot-cdfi').getByTestId('roi-canvas')).toBeVisible();
  await analyze(page);
  await page.getByTestId('descriptor-level').selectOption('III');
  await page.getByTestId('descriptor-side').selectOption('right');
  await page.getByTestId('descriptor-hilum').selectOption('narrowed');
  await page.getByTestId('descriptor-longAxisMm').fill('14');
  await page.getByTestId('descriptor-shortAxisMm').fill('6');
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-label').fill('right III');
  await page.getByTestId('history-save').click();
  await expect(page.getByTestId('history-saved')).toBeVisible();

  await page.getByTestId('open-report').click();
  await page.getByTestId('report-conclusion').fill('Benign-appearing right level III node.');
  await page.getByTestId('report-approve').click();
  await expect(page.getByTestId('report-approved')).toBeVisible();

  // JSON: exported, everything deleted, imported back, exported again: the same cases.
  const first = JSON.parse((await downloaded(page, 'export-json')).toString('utf8'));
  expect(first.format).toBe('lymphscope-cases');
  expect(first.cases).toHaveLength(1);
  expect(first.cases[0].exam).toMatchObject({ accession: 'ACC-9001', conclusion: 'Benign-appearing right level III node.' });
  expect(first.cases[0].exam.approvedAt).not.toBeNull();
  expect(first.cases[0].descriptors).toMatchObject({
    level: 'III',
    side: 'right',
    hilum: 'narrowed',
    longAxisMm: 14,
    shortAxisMm: 6,
  });
  await page.getByTestId('report-close').click();
  await page.getByTestId('history-delete-all').click();
  await expect(page.getByTestId('history-empty')).toBeVisible();
  await page
    .getByTestId('history-import')
    .setInputFiles({ name: 'exam.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(first)) });
  await expect(page.getByTestId('history-message')).toContainText('Imported 1 case');
  await expect(page.getByTestId('history-exam')).toContainText('ACC-9001');
  await page.getByTestId('history-report').click();
  await expect(page.getByTestId('report-status').first()).toHaveText('approved');
  const again = JSON.parse((await downloaded(page, 'export-json')).toString('utf8'));
  expect(again.cases).toEqual(first.cases);

  // DICOM report: Encapsulated PDF with the typed identifiers only.
  const report = await downloaded(page, 'export-dicom');
  const ds = dicomParser.parseDicom(new Uint8Array(report));
  expect(ds.string('x00080016')).toBe(PDF_CLASS);
  expect(ds.string('x00100020')).toBe('TYPED-PAT-1');
  expect(ds.string('x00080050')).toBe('ACC-9001');
  expect(ds.string('x00100010') ?? '').toBe('');
  for (const leaked of [FIXTURE_PATIENT.name, FIXTURE_PATIENT.id, FIXTURE_PATIENT.institution])
    expect(report.includes(Buffer.from(leaked))).toBe(false);
  const doc = ds.elements.x00420011!;
  const length = ds.uint32('x00420015') ?? doc.length;
  const pdf = report.subarray(doc.dataOffset, doc.dataOffset + length);
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  writeFileSync(join(dir, 'report.dcm'), report);
  expect(pydicom(join(dir, 'report.dcm'))).toMatchObject({
    SOPClassUID: PDF_CLASS,
    PatientID: 'TYPED-PAT-1',
    PatientName: '',
    AccessionNumber: 'ACC-9001',
    NameOfPhysiciansReadingStudy: 'Dr. Typed Reporter',
  });

  // The PDF inside shows what printing shows: same pages, same size, same picture.
  await page.emulateMedia({ media: 'print' });
  const printed = await page.pdf({ preferCSSPageSize: true, printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  const a = renderPages(printed, 'printed', 30);
  const b = renderPages(pdf, 'dicom', 30);
  expect(b).toHaveLength(a.length);
  expect(a).toHaveLength(2);
  for (let i = 0; i < a.length; i++) {
    const c = compare(a[i]!, b[i]!);
    console.log(
      `page ${i + 1}: block difference ${c.diff.toFixed(2)}/255, darkness printed ${c.darkA.toFixed(2)} vs DICOM ${c.darkB.toFixed(2)}`,
    );
    // Against a blank page the difference would be the page's whole darkness.
    expect(c.diff).toBeLessThan(0.35 * c.darkA);
    expect(Math.abs(c.darkA - c.darkB)).toBeLessThan(0.25 * c.darkA);
  }

  // Annotated images: one Secondary Capture per heatmap, same study, typed identifiers only.
  const zip = unzipSync(new Uint8Array(await downloaded(page, 'export-dicom-images')));
  const names = Object.keys(zip).sort();
  expect(names).toEqual(['000-findings-sr.dcm', '001-node1-bmode.dcm', '002-node1-cdfi.dcm']);
  const sr = dicomParser.parseDicom(zip['000-findings-sr.dcm']!);
  expect(sr.string('x00080016')).toBe('1.2.840.10008.5.1.4.1.1.88.33');
  expect(sr.string('x00100020')).toBe('TYPED-PAT-1');
  expect(sr.string('x0020000d')).toBe(ds.string('x0020000d'));
  expect(sr.string('x0040a491')).toBe('COMPLETE');
  writeFileSync(join(dir, 'sr.dcm'), zip['000-findings-sr.dcm']!);
  expect(pydicom(join(dir, 'sr.dcm'))).toMatchObject({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.33', PatientID: 'TYPED-PAT-1' });
  for (const name of names.slice(1)) {
    const bytes = zip[name]!;
    const sc = dicomParser.parseDicom(bytes);
    expect(sc.string('x00080016')).toBe(SC_CLASS);
    expect(sc.string('x00100020')).toBe('TYPED-PAT-1');
    expect(sc.string('x0020000d')).toBe(ds.string('x0020000d'));
    expect(sc.uint16('x00280002')).toBe(3);
    expect(Buffer.from(bytes).includes(Buffer.from(FIXTURE_PATIENT.name))).toBe(false);
    writeFileSync(join(dir, name), bytes);
    expect(pydicom(join(dir, name))).toMatchObject({ SOPClassUID: SC_CLASS, PatientID: 'TYPED-PAT-1' });
  }
});

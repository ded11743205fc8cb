/**
 * The validation view end to end in real Chromium: a labelled folder in the seed study's layout
 * (2d and cdfi folders, class folders 0/1/2, files <patient>-<k>.png) with a non-image, an
 * unreadable image and a copy of one image under another class; mapping, file-name patient
 * pattern, batch analysis in the workers, cancel, reload and continue, AUCs with intervals, and the
 * per-case CSV, whose macro AUCs scikit-learn recomputes. No request leaves for another origin and
 * nothing but the view's own code is fetched.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { zipSync } from 'fflate';
import { expect, test, type Page, type Request } from '@playwright/test';
import { evaluate, parseCaseTable, scoresOf } from '../../src/validation';
import { analyze, modalityImage, openApp, probabilities, uploadAll } from './helpers';

const PATIENTS_PER_CLASS = 5;
const FOLDERS = { '2d': 'bmode', cdfi: 'cdfi' } as const;
const CLASS_OF_FOLDER = { '0': 'metastatic', '1': 'lymphoma', '2': 'benign' } as const;

/** Writes the set; returns its folder and the number of images that decode. */
function writeSet(): { dir: string; images: number } {
  const dir = join(mkdtempSync(join(tmpdir(), 'lymphscope-validation-')), 'study');
  let images = 0;
  let seed = 1;
  for (const [folder, modality] of Object.entries(FOLDERS)) {
    for (const cls of Object.keys(CLASS_OF_FOLDER)) {
      const d = join(dir, folder, cls);
      mkdirSync(d, { recursive: true });
      for (let p = 0; p < PATIENTS_PER_CLASS; p++) {
        writeFileSync(join(d, `${100 * Number(cls) + p}-1.png`), modalityImage(modality, seed++));
        images++;
      }
    }
  }
  // A copy of one class-0 image under class 1 (another patient id): flagged as a labelling error.
  writeFileSync(join(dir, '2d', '1', '190-1.png'), readFileSync(join(dir, '2d', '0', '0-1.png')));
  images++;
  // Bytes that are no image under an image name: analysed, fails, is counted and skipped.
  writeFileSync(join(dir, '2d', '2', '290-1.png'), Buffer.from('not really a png'));
  // A note beside the images: not an image, listed and skipped before the run.
  writeFileSync(join(dir, '2d', 'notes.txt'), 'scanned 2023');
  return { dir, images };
}

async function mapAndStart(page: Page, dir: string): Promise<void> {
  await page.getByTestId('validate-input').setInputFiles(dir);
  await expect(page.getByTestId('validate-mapping')).toHaveAttribute('data-layout', 'modality-folders');
  // Nothing is guessed: Start waits for every class folder's answer.
  await expect(page.getByTestId('validate-start')).toBeDisabled();
  for (const [folder, cls] of Object.entries(CLASS_OF_FOLDER)) {
    await page.getByTestId(`validate-map-${folder}`).selectOption(cls);
  }
  await page.getByTestId('validate-grouping-file-name').check();
  await expect(page.getByTestId('validate-pattern-examples')).toContainText('→');
  await page.getByTestId('validate-pattern-confirm').click();
  await expect(page.getByTestId('validate-start')).toBeEnabled();
  await page.getByTestId('validate-start').click();
}

test('validation of a labelled folder: mapping, run, cancel, reload, continue, AUCs equal to the CSV recomputed', async ({
  page,
  context,
  baseURL,
}) => {
  test.setTimeout(300_000);
  const { dir, images } = writeSet();
  try {
    await openApp(page);
    // From here on, only the view's own code may be fetched (same origin, GET, /assets/).
    // (The reload's own requests for the app and the pack are the privacy audit's; not counted here.)
    const requests: Request[] = [];
    let recording = true;
    context.on('request', (r) => {
      if (recording) requests.push(r);
    });
    await page.getByTestId('validate-open').click();
    await mapAndStart(page, dir);

    // Cancel at once (the run stops after the image in hand), then reload: what is done is in IndexedDB.
    await page.getByTestId('validate-cancel').click();
    const progress = page.getByTestId('validate-progress');
    await expect(progress).toHaveAttribute('data-total', String(images + 1));
    await expect(page.getByTestId('validate-stopped')).toBeVisible();
    const doneBefore = Number(await progress.getAttribute('data-done'));
    expect(doneBefore).toBeGreaterThan(0);
    expect(doneBefore).toBeLessThan(images + 1);

    recording = false;
    await page.reload();
    await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
    recording = true;
    await page.getByTestId('validate-open').click();
    const stored = page.getByTestId('validate-stored-run');
    await expect(stored).toHaveCount(1);
    await expect(stored).toHaveAttribute('data-finished', 'false');
    expect(Number(await stored.getAttribute('data-done'))).toBe(doneBefore);

    // The same folder with the same answers continues the stored run.
    await mapAndStart(page, dir);
    const dup = page.getByTestId('validate-duplicates');
    await expect(dup).toHaveAttribute('data-across', '1');
    await expect(page.getByTestId('validate-skipped')).toHaveAttribute('data-count', '1');
    await expect(page.getByTestId('validate-results')).toBeVisible({ timeout: 200_000 });
    await expect(progress).toHaveAttribute('data-done', String(images + 1));
    await expect(page.getByTestId('validate-counts-summary')).toHaveAttribute('data-failed', '1');
    await expect(page.getByTestId('validate-counts-summary')).toHaveAttribute('data-analysed', String(images));
    await expect(stored).toHaveAttribute('data-finished', 'true');

    const shown: Record<string, { auc: string; ci: string }> = {};
    for (const g of ['bmode', 'cdfi', 'fused']) {
      const el = page.getByTestId(`validate-auc-${g}`);
      await expect(el).toHaveAttribute('data-auc', /^\d\.\d{4}$/);
      shown[g] = { auc: (await el.getAttribute('data-auc'))!, ci: (await el.getAttribute('data-ci'))! };
      const [lo, hi] = shown[g].ci.split(',').map(Number);
      expect(lo).toBeLessThanOrEqual(hi!);
    }
    await expect(page.getByTestId('validate-auc-elastography')).toHaveCount(0);
    await expect(page.getByTestId('validate-roc-fused').locator('canvas')).toBeVisible();
    const axe = await new AxeBuilder({ page })
      .include('[data-testid="validate-view"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);

    // Printed, the results are the page (the page's print rules otherwise show only a case report).
    await page.emulateMedia({ media: 'print' });
    await expect(page.getByTestId('validate-auc-fused')).toBeVisible();
    await expect(page.getByTestId('validate-start')).toBeHidden();
    await page.emulateMedia({ media: 'screen' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('validate-export-csv').click()]);
    const csvPath = join(dir, '..', 'cases.csv');
    await download.saveAs(csvPath);
    const table = parseCaseTable(readFileSync(csvPath, 'utf8'));
    expect(table.rows.filter((r) => r.modality !== 'fused')).toHaveLength(images);
    // Patients from the file-name pattern: both modalities of one patient make one fused case.
    expect(table.rows.filter((r) => r.modality === 'fused')).toHaveLength(3 * PATIENTS_PER_CLASS + 1);
    const sklearn = JSON.parse(
      execFileSync('/usr/bin/python3', ['-m', 'training.validation_auc', csvPath], { encoding: 'utf8' }),
    ) as Record<string, number>;
    for (const g of ['bmode', 'cdfi', 'fused'] as const) {
      const e = evaluate(scoresOf(table, g));
      expect(e.macroAuc.value!.toFixed(4), g).toBe(shown[g]!.auc);
      expect(`${e.macroAucCi.lower!.toFixed(4)},${e.macroAucCi.upper!.toFixed(4)}`, g).toBe(shown[g]!.ci);
      expect(sklearn[g]!.toFixed(4), `${g} (scikit-learn)`).toBe(shown[g]!.auc);
    }

    // An operating point saved here shows on the next single analysis, with its provenance.
    await page.getByTestId('validate-op-rule').selectOption('youden');
    await page.getByTestId('validate-op-save').click();
    await expect(page.getByTestId('validate-op-saved')).toBeVisible();
    const threshold = (await page.getByTestId('validate-op-saved').getAttribute('data-threshold'))!;
    await page.getByTestId('validate-open').click(); // closes the view
    await uploadAll(page);
    await analyze(page);
    const category = page.getByTestId('op-category');
    await expect(category).toHaveAttribute('data-threshold', threshold);
    const fused = await probabilities(page, 'fused');
    expect(await category.getAttribute('data-positive')).toBe(String(fused[0]! + fused[1]! >= Number(threshold)));
    await expect(page.getByTestId('op-provenance')).toContainText(`n = ${3 * PATIENTS_PER_CLASS + 1}`);

    const origin = new URL(baseURL!).origin;
    const foreign = requests.filter((r) => {
      const u = new URL(r.url());
      if (u.protocol === 'blob:' || u.protocol === 'data:') return false;
      return u.origin !== origin || r.method() !== 'GET' || !/^\/assets\/[\w.-]+\.(js|css)$/.test(u.pathname) || r.postData();
    });
    expect(foreign.map((r) => `${r.method()} ${r.url()}`)).toEqual([]);
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('bad sets say what is wrong: one class only, a single-modality folder', async ({ page }) => {
  const root = mkdtempSync(join(tmpdir(), 'lymphscope-validation-'));
  try {
    const one = join(root, 'set', 'benign');
    mkdirSync(one, { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(one, `${i}.png`), modalityImage('bmode', 40 + i));
    await openApp(page);
    await page.getByTestId('validate-open').click();
    await page.getByTestId('validate-input').setInputFiles(join(root, 'set'));
    const problems = page.getByTestId('validate-problems');
    await expect(problems.locator('[data-code="single-modality"]')).toBeVisible();
    await expect(problems.locator('[data-code="one-class"]')).toContainText('AUC is undefined');
    await expect(page.getByTestId('validate-blocker')).toContainText('modality');
    await page.getByTestId('validate-modality').selectOption('bmode');
    await page.getByTestId('validate-map-benign').selectOption('benign');
    await page.getByTestId('validate-start').click();
    await expect(page.getByTestId('validate-results')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('validate-auc-bmode')).toHaveAttribute('data-auc', '');
    await expect(page.getByTestId('validate-auc-bmode')).toContainText('AUC undefined');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a zip of the folder: nested extra folders and system files are told, the set is read', async ({ page }) => {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 4; i++) {
    files[`export/2d/0/${i}-1.png`] = modalityImage('bmode', 60 + i);
    files[`export/2d/1/extra/${i}-2.png`] = modalityImage('bmode', 70 + i);
  }
  files['__MACOSX/export/2d/0/._0-1.png'] = new Uint8Array([1, 2, 3]);
  files['export/2d/.DS_Store'] = new Uint8Array([0, 0, 0, 1]);
  await openApp(page);
  await page.getByTestId('validate-open').click();
  await page.getByTestId('validate-input-zip').setInputFiles({
    name: 'export.zip',
    mimeType: 'application/zip',
    buffer: Buffer.from(zipSync(files)),
  });
  await expect(page.getByTestId('validate-mapping')).toHaveAttribute('data-images', '8');
  await expect(page.getByTestId('validate-problems').locator('[data-code="nested-folders"]')).toBeVisible();
  await expect(page.getByTestId('validate-skipped')).toHaveAttribute('data-count', '2');
  await expect(page.getByTestId('validate-map-0')).toBeVisible();
  await expect(page.getByTestId('validate-map-1')).toBeVisible();
});

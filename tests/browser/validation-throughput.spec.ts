/**
 * Throughput of a validation run (docs/validation.md): the bundled pack on WASM over a folder of
 * simulated full screenshots written by `npm run phantoms -- --full`, one modality, through the
 * whole path (decode in the imaging worker, region proposal, input check, classification (classify-batch),
 * one IndexedDB write per image). A measurement, run on demand:
 *
 *   npm run phantoms -- --out /tmp/phantoms --per-class 100 --seed 7 --full
 *   VALIDATION_BENCH_DIR=/tmp/phantoms/full/2d npx playwright test tests/browser/validation-throughput.spec.ts
 *
 * It still checks what must hold: every image analysed, and the JS heap after the run within a few
 * MB of where it was a quarter of the way in (no image kept per case).
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { openApp } from './helpers';

const DIR = process.env.VALIDATION_BENCH_DIR;
/** Also written to this file as it goes (Playwright prints a test's output at its end). */
const LOG = process.env.VALIDATION_BENCH_LOG;
function log(line: string): void {
  console.log(line);
  if (LOG) appendFileSync(LOG, `${line}\n`);
}

test('validation throughput on wasm (bundled pack, one modality)', async ({ page }) => {
  test.skip(DIR === undefined, 'set VALIDATION_BENCH_DIR to a phantom folder <class index>/<case>.png');
  test.setTimeout(1_200_000);
  const total = readdirSync(DIR!).reduce((n, cls) => n + readdirSync(join(DIR!, cls)).length, 0);
  const t = Date.now();
  await openApp(page, { backend: 'wasm', models: 'models/index.json' });
  log(`  app ready after ${((Date.now() - t) / 1000).toFixed(1)} s`);
  await page.getByTestId('validate-open').click();
  await page.getByTestId('validate-input').setInputFiles(DIR!);
  log(`  ${total} files picked after ${((Date.now() - t) / 1000).toFixed(1)} s`);
  // A folder picked as `2d` is read as the modality folder itself; any other name as one modality.
  await expect(page.getByTestId('validate-mapping')).toBeVisible();
  if ((await page.getByTestId('validate-modality').count()) > 0)
    await page.getByTestId('validate-modality').selectOption('bmode');
  for (const [folder, cls] of [
    ['0', 'metastatic'],
    ['1', 'lymphoma'],
    ['2', 'benign'],
  ] as const) {
    await page.getByTestId(`validate-map-${folder}`).selectOption(cls);
  }
  await expect(page.getByTestId('validate-start')).toBeEnabled({ timeout: 120_000 });
  const heap = () =>
    page.evaluate(() => (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize);
  const t0 = Date.now();
  await page.getByTestId('validate-start').click();
  const progress = page.getByTestId('validate-progress');
  let heapQuarter: number | null = null;
  for (;;) {
    const done = Number(await progress.getAttribute('data-done'));
    if (heapQuarter === null && done > total / 4) heapQuarter = await heap();
    if ((await page.getByTestId('validate-results').count()) > 0) break;
    log(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${done}/${total}`);
    await page.waitForTimeout(10_000);
  }
  const seconds = (Date.now() - t0) / 1000;
  const heapEnd = await heap();
  await expect(page.getByTestId('validate-counts-summary')).toHaveAttribute('data-analysed', String(total));
  const rate = Number(await page.getByTestId('validate-rate').getAttribute('data-rate'));
  const auc = await page.getByTestId('validate-auc-bmode').getAttribute('data-auc');
  log(
    `validation throughput: ${total} images in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(2)} images/s end to end, ` +
      `${rate.toFixed(2)} images/s in the loop; 1,000 images ≈ ${(1000 / rate).toFixed(0)} s); ` +
      `JS heap ${(heapQuarter! / 1e6).toFixed(1)} MB at a quarter, ${(heapEnd / 1e6).toFixed(1)} MB at the end; macro AUC ${auc}`,
  );
  expect(heapEnd - heapQuarter!).toBeLessThan(32e6);
});

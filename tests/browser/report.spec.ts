import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { analyze, canvasSpread, MODALITIES, openApp, probabilities, uploadAll } from './helpers';

test('report renders every section, prints only itself, and exports the same result as JSON', async ({ page }) => {
  await openApp(page);
  await uploadAll(page);
  await analyze(page);
  const fused = await probabilities(page, 'fused');
  await page.getByTestId('open-report').click();
  const report = page.getByTestId('report');
  await expect(report).toBeVisible();
  await expect(page.getByTestId('report-date')).not.toBeEmpty();
  await expect(page.getByTestId('report-disclaimer')).toContainText(/not/i);
  await expect(page.getByTestId('report-model')).toContainText('fixture-tiny');
  await expect(page.getByTestId('report-model')).toContainText(/Intended use/);
  await expect(page.getByTestId('report-fused')).toBeVisible();
  await expect(page.getByTestId('report-prob-fused-metastatic')).toHaveText(`${(fused[0]! * 100).toFixed(1)}%`);
  for (const m of MODALITIES) {
    await expect(page.getByTestId(`report-modality-${m}`)).toBeVisible();
    expect(await canvasSpread(page, `report-roi-${m}`)).toBeGreaterThan(1);
    expect(await canvasSpread(page, `gradcam-report-${m}`)).toBeGreaterThan(1);
    for (const c of ['metastatic', 'lymphoma', 'benign'])
      await expect(page.getByTestId(`report-prob-${m}-${c}`)).toHaveText(/%$/);
  }

  // Print stylesheet: the report is the only visible thing; the toolbar is gone.
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByTestId('report-print')).toBeHidden();
  expect(
    await page
      .getByTestId('analyze')
      .evaluate((el) => getComputedStyle(el).visibility === 'hidden' || getComputedStyle(el).display === 'none'),
  ).toBe(true);
  expect(await page.getByTestId('report-disclaimer').evaluate((el) => getComputedStyle(el).visibility)).toBe('visible');
  const pdf = await page.pdf({ format: 'A4' });
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  await page.emulateMedia({ media: 'screen' });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-json').click()]);
  const json = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(json.format).toBe('lymphscope-result');
  expect(json.model.id).toBe('fixture-tiny');
  expect(Object.keys(json.results).sort()).toEqual([...MODALITIES].sort());
  expect(json.fused.probabilities.metastatic).toBeCloseTo(fused[0]!, 6);
  expect(json.disclaimer).toMatch(/not/i);
});

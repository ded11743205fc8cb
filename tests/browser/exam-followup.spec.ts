/**
 * An examination with two nodes prints as a summary page plus one page per node, and a later
 * examination of the same patient reference compares with it node by node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { analyze, modalityImage, openApp, upload } from './helpers';

async function node(page: Page, seed: number, level: string, side: string, long: string, short: string, hilum: string) {
  await upload(page, 'bmode', `b${seed}.png`, modalityImage('bmode', seed));
  await expect(page.getByTestId('slot-bmode').getByTestId('roi-canvas')).toBeVisible();
  await analyze(page);
  await page.getByTestId('descriptor-level').selectOption(level);
  await page.getByTestId('descriptor-side').selectOption(side);
  await page.getByTestId('descriptor-longAxisMm').fill(long);
  await page.getByTestId('descriptor-shortAxisMm').fill(short);
  await page.getByTestId('descriptor-hilum').selectOption(hilum);
  await page.getByTestId('save-case').click();
  await page.getByTestId('history-label').fill(`${level} ${side}`);
  await page.getByTestId('history-save').click();
  await expect(page.getByTestId('history-saved')).toBeVisible();
}

test('two nodes in one examination, two pages of nodes; a follow-up compares per node', async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await page.getByTestId('exam-accession').fill('FIRST-1');
  await page.getByTestId('exam-patient').fill('PAT-FU');
  await page.getByTestId('exam-date').fill('2026-01-10');
  await node(page, 1, 'II', 'left', '10', '5', 'present');
  await page.getByTestId('exam-new-node').click();
  await expect(page.getByTestId('descriptor-level')).toHaveValue('');
  await expect(page.getByTestId('exam-accession')).toHaveValue('FIRST-1');
  await node(page, 2, 'III', 'right', '8', '4', 'present');
  await expect(page.getByTestId('exam-position')).toContainText('2');

  await page.getByTestId('open-report').click();
  await expect(page.getByTestId('report-page-node-2')).toBeVisible();
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  const file = join(mkdtempSync(join(tmpdir(), 'lymphscope-fu-')), 'exam.pdf');
  writeFileSync(file, pdf);
  expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Pages:\s+3\n/);
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).split('\f');
  expect(text[1]).toMatch(/Node 1 — Level II · Left/);
  expect(text[2]).toMatch(/Node 2 — Level III · Right/);
  expect(text[2]).toMatch(/Page 3 \/ 3/);
  await page.getByTestId('report-close').click();

  // The follow-up: a new examination of the same patient reference.
  await page.getByTestId('exam-new').click();
  await expect(page.getByTestId('exam-accession')).toHaveValue('');
  await page.getByTestId('exam-accession').fill('SECOND-2');
  await page.getByTestId('exam-patient').fill('PAT-FU');
  await page.getByTestId('exam-date').fill('2026-04-10');
  await node(page, 3, 'II', 'left', '14', '9', 'absent');

  await expect(page.getByTestId('history-exam')).toHaveCount(2);
  await expect(page.getByTestId('history-exam').first()).toContainText('SECOND-2');
  const pick = page.getByTestId('history-exam').first().getByTestId('history-compare');
  const other = await page.getByTestId('history-exam').nth(1).getAttribute('data-exam-id');
  await pick.selectOption(other!);
  const view = page.getByTestId('compare-view');
  await expect(view).toContainText('2026-01-10 → 2026-04-10');
  const rowII = view.locator('[data-testid="compare-row"][data-key="II left"]');
  await expect(rowII.getByTestId('compare-size')).toHaveText('+4.0 mm / +4.0 mm');
  await expect(rowII.getByTestId('compare-findings')).toContainText('Echogenic hilum: Present → Absent');
  await expect(rowII.getByTestId('compare-result')).toContainText('→');
  await expect(view.locator('[data-testid="compare-row"][data-key="III right"]')).toContainText('no node at this level and side');
});

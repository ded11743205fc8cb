/**
 * Accessibility: axe-core on every view — empty, images loaded (DICOM cine included), results,
 * history, privacy, report — in English and in Chinese. No serious or critical violation may remain.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { dicomFixtures } from '../../scripts/make-dicom-fixtures';
import { MODALITIES, modalityImage, openApp, upload } from './helpers';

async function audit(page: Page, view: string): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${view}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 4)
          .join(', ')}`,
    );
}

for (const locale of ['en', 'zh'] as const) {
  test(`no serious or critical axe violations on any view (${locale})`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.addInitScript((l) => localStorage.setItem('lymphscope.locale', l), locale);
    await openApp(page, { backend: 'wasm' });
    await expect(page.locator('html')).toHaveAttribute('lang', locale === 'zh' ? 'zh-CN' : 'en');
    const problems: string[] = [];
    problems.push(...(await audit(page, 'start')));

    for (const m of MODALITIES) {
      await upload(page, m, `${m}.png`, modalityImage(m, 2));
      await expect(page.getByTestId(`slot-${m}`).getByTestId('roi-canvas')).toBeVisible();
    }
    // A DICOM cine in the B-mode slot brings the frame picker and the millimetre scale.
    const cine = dicomFixtures().find((f) => f.name === 'cine-4-frames.dcm')!;
    await upload(page, 'bmode', 'cine.dcm', Buffer.from(cine.bytes), 'application/dicom');
    await expect(page.getByTestId('frame-bmode')).toBeVisible();
    problems.push(...(await audit(page, 'images')));

    await page.getByTestId('analyze').click();
    await expect(page.getByTestId('results')).toBeVisible({ timeout: 170_000 });
    await expect(page.getByTestId('analyze')).toBeEnabled({ timeout: 170_000 });
    await page.getByTestId('heatmap-colormap').selectOption('viridis');
    problems.push(...(await audit(page, 'results')));

    await page.getByTestId('nav-history').click();
    await expect(page.getByTestId('history-panel')).toBeVisible();
    problems.push(...(await audit(page, 'history')));

    await page.getByTestId('nav-privacy').click();
    await expect(page.getByTestId('privacy-panel')).toBeVisible();
    problems.push(...(await audit(page, 'privacy')));

    await page.getByTestId('open-report').click();
    await expect(page.getByTestId('report')).toBeVisible();
    problems.push(...(await audit(page, 'report')));

    expect(problems).toEqual([]);
  });
}

test.describe('language', () => {
  test.use({ locale: 'zh-CN' });
  test('follows the browser, switches every string at once, is remembered', async ({ page }) => {
    await openApp(page, { backend: 'wasm' });
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(page.getByTestId('analyze')).toHaveText('分析');
    await upload(page, 'cdfi', 'empty.png', Buffer.alloc(0));
    await expect(page.getByTestId('slot-cdfi').getByTestId('error')).toContainText('为空文件');

    await page.getByTestId('language').selectOption('en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByTestId('analyze')).toHaveText('Analyse');
    await expect(page.getByTestId('slot-cdfi').getByTestId('error')).toContainText('is empty (0 bytes)');

    await page.reload();
    await expect(page.getByTestId('analyze')).toHaveText('Analyse');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  });
});

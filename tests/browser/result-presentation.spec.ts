/**
 * How a result reads (issue 12, items 3–6): a headline with a documented confidence level that
 * agrees with the fused probabilities, heatmaps opened on its top class at a readable size, focus
 * and a live announcement after Analyse, stale marking that turns Save and Report off, start-up
 * progress, and a demo case's provenance through save → reopen → report.
 */
import { expect, test, type Page } from '@playwright/test';
import { confidenceOf, rankClasses } from '../../src/analysis/headline';
import { analyze, CLASSES, MODALITIES, openApp, probabilities, upload, uploadAll, ultrasoundLikePng } from './helpers';

/** Records every start-up stage the page shows (the element lives only while the model loads). */
async function recordStartup(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: { stage: string; value: string | null }[] = [];
    (window as unknown as { __startup: typeof seen }).__startup = seen;
    const note = () => {
      const el = document.querySelector('[data-testid="startup-progress"]');
      if (!el) return;
      const entry = {
        stage: el.getAttribute('data-stage') ?? '',
        value: el.querySelector('progress')?.getAttribute('value') ?? null,
      };
      const last = seen[seen.length - 1];
      if (!last || last.stage !== entry.stage || last.value !== entry.value) seen.push(entry);
    };
    new MutationObserver(note).observe(document, { subtree: true, childList: true, attributes: true });
  });
}

test('headline, heatmap class and size, focus and announcement after Analyse', async ({ page }) => {
  await recordStartup(page);
  await openApp(page, { backend: 'wasm' });

  // Start-up showed its progress: bytes downloaded and verified, then the later stages, in order.
  const startup = await page.evaluate(
    () => (window as unknown as { __startup: { stage: string; value: string | null }[] }).__startup,
  );
  const stages = startup.map((s) => s.stage);
  expect(stages).toContain('download');
  expect(startup.some((s) => s.stage === 'download' && s.value !== null)).toBe(true);
  const order = ['loading', 'download', 'backend', 'build', 'warmup'];
  const ranks = stages.map((s) => order.indexOf(s));
  expect(ranks.every((r) => r >= 0)).toBe(true);
  expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
  await expect(page.getByTestId('startup-progress')).toHaveCount(0);

  await uploadAll(page, 3);
  await analyze(page);

  const headline = page.getByTestId('headline');
  await expect(headline).toBeFocused();
  await expect(headline).toBeInViewport();
  const fused = await probabilities(page, 'fused');
  const ranked = rankClasses(fused);
  const top = CLASSES[ranked[0]!]!;
  await expect(headline).toHaveAttribute('data-top-class', top);
  await expect(headline).toHaveAttribute('data-confidence', confidenceOf(fused[ranked[0]!]!, fused[ranked[1]!]!));
  await expect(page.getByTestId('announcer')).toContainText((await headline.textContent())!.trim().slice(0, 20));

  // Fused classes listed from most to least likely, as whole percentages.
  const rows = await page
    .getByTestId('fused-card')
    .locator('[data-testid^="prob-fused-"]')
    .evaluateAll((els) =>
      els.map((e) => ({ id: e.getAttribute('data-testid')!.replace('prob-fused-', ''), text: e.textContent!.trim() })),
    );
  expect(rows.map((r) => r.id)).toEqual(ranked.map((i) => CLASSES[i]));
  for (const r of rows) expect(r.text).toMatch(/^(\d{1,3}|<1|>99)%$/);

  // Heatmaps open on the top class, at least 256 px wide, in each view.
  await expect(page.getByTestId('heatmap-class')).toHaveValue(top);
  for (const view of ['overlay', 'contour', 'side'] as const) {
    await page.getByTestId('heatmap-view').selectOption(view);
    for (const m of MODALITIES) {
      const canvas = page.getByTestId(`gradcam-${m}`);
      await expect(canvas).toHaveAttribute('data-view', view);
      expect(await canvas.evaluate((c) => (c as HTMLCanvasElement).width)).toBeGreaterThanOrEqual(view === 'side' ? 512 : 256);
    }
  }
  await expect(page.getByTestId('heatmap-legend')).toHaveAttribute('data-colormap', 'magenta');
  // The legend's end labels sit apart, under the two ends of the bar (no "HighLow").
  const box = async (sel: string) => (await page.getByTestId('heatmap-legend').locator(sel).boundingBox())!;
  const [bar, low, high] = [await box('canvas'), await box('.low'), await box('.high')];
  expect(low.y).toBeGreaterThanOrEqual(bar.y + bar.height - 1);
  expect(high.y).toBeGreaterThanOrEqual(bar.y + bar.height - 1);
  expect(low.x + low.width).toBeLessThan(high.x);
  expect(Math.abs(low.x - bar.x)).toBeLessThan(4);
  expect(Math.abs(high.x + high.width - (bar.x + bar.width))).toBeLessThan(4);
});

test('a small region is scaled up; a changed region marks the results stale and turns Save and Report off', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await uploadAll(page, 5);
  // A small B-mode image: its region is well under 256 px wide.
  await upload(page, 'bmode', 'small.png', ultrasoundLikePng(180, 140, 6, 'none'));
  const roi = page.getByTestId('slot-bmode').getByTestId('roi-canvas');
  // Wait for the new image (the previous one's size stays on screen until it is decoded).
  await expect(page.getByTestId('slot-bmode')).toContainText('small.png');
  const roiWidth = async () => {
    const size = (await page.getByTestId('slot-bmode').getByTestId('roi-size').textContent()) ?? '';
    return Number(/(\d+)×/.exec(size)?.[1] ?? NaN);
  };
  await expect.poll(roiWidth).toBeLessThan(256);
  await analyze(page);
  expect(await page.getByTestId('gradcam-bmode').evaluate((c) => (c as HTMLCanvasElement).width)).toBeGreaterThanOrEqual(256);
  await expect(page.getByTestId('open-report')).toBeEnabled();
  await expect(page.getByTestId('save-case')).toBeEnabled();

  // Narrow the region by one step (a whole-image region cannot move, so a plain arrow would change nothing).
  await roi.focus();
  await page.keyboard.press('Shift+ArrowLeft');
  await expect(page.getByTestId('headline')).toHaveAttribute('data-stale', 'true');
  await expect(page.getByTestId('stale-headline')).toBeVisible();
  await expect(page.getByTestId('stale-fused')).toBeVisible();
  await expect(page.getByTestId('stale-bmode')).toBeVisible();
  await expect(page.getByTestId('open-report')).toBeDisabled();
  await expect(page.getByTestId('save-case')).toBeDisabled();
  await expect(page.getByTestId('announcer')).toContainText(/out of date/i);

  await analyze(page);
  await expect(page.getByTestId('headline')).toHaveAttribute('data-stale', 'false');
  await expect(page.getByTestId('open-report')).toBeEnabled();
});

test('a demo case keeps its provenance through save → reopen → report', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await page.getByTestId('demo-class').selectOption('metastatic');
  await page.getByTestId('demo-load').click();
  const label = (await page.getByTestId('demo-label').textContent())!;
  const seed = /seed (\d+)/.exec(label)![1]!;
  await analyze(page);
  await expect(page.getByTestId('headline-simulated')).toBeVisible();

  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-label').fill('demo node');
  await page.getByTestId('history-save').click();
  await expect(page.getByTestId('history-saved')).toBeVisible();

  // A reload drops everything but the history; the reopened case still says it is simulated.
  await page.reload();
  await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
  await page.getByTestId('nav-history').click();
  await expect(page.getByTestId('history-simulated')).toBeVisible();
  await page.getByTestId('history-open').click();
  await expect(page.getByTestId('reopened')).toBeVisible();
  await expect(page.getByTestId('headline-simulated')).toBeVisible();

  await page.getByTestId('open-report').click();
  await expect(page.getByTestId('report-simulated')).toBeVisible();
  await expect(page.getByTestId('report-seed')).toHaveText(seed);
  await expect(page.getByTestId('report-true-class')).toHaveAttribute('data-class', 'metastatic');
  for (const m of MODALITIES) {
    await expect(page.getByTestId(`report-spacing-${m}`)).toHaveText(/^\d+\.\d{3} × \d+\.\d{3} mm$/);
    await expect(page.getByTestId(`report-check-${m}`)).toHaveAttribute('data-verdict', /^(ok|wrong-modality)$/);
  }
});

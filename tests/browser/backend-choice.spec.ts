import { expect, test, type Page } from '@playwright/test';
import { analyze, MODALITIES, openApp, uploadAll } from './helpers';

/**
 * Automatic backend choice on this machine's headless Chromium, whose WebGPU adapter and WebGL
 * renderer are both software (SwiftShader): 'auto' must not pick either over wasm, and a later
 * visit must be ready quickly because the decision is remembered. Runs on the bundled ResNet-18
 * pack, where a software GPU costs the most. Timings go to the test's output for the report.
 */

const BUNDLED_INDEX = 'models/index.json';

async function readyAfter(page: Page, navigate: () => Promise<unknown>): Promise<number> {
  const start = Date.now();
  await navigate();
  await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 170_000 });
  return Date.now() - start;
}

async function timedAnalysis(page: Page): Promise<number> {
  const start = Date.now();
  await analyze(page);
  for (const m of MODALITIES) await expect(page.getByTestId(`prob-${m}-benign`)).toHaveAttribute('data-value', /\d/);
  return Date.now() - start;
}

test('auto passes over software GPUs, and a later visit reuses the remembered choice', async ({ page }) => {
  test.setTimeout(300_000);
  const firstReadyMs = await readyAfter(page, () => openApp(page, { backend: 'auto', models: BUNDLED_INDEX }));
  const firstBackend = await page.getByTestId('backend').textContent();
  await uploadAll(page);
  const analysisMs = await timedAnalysis(page);
  const secondAnalysisMs = await timedAnalysis(page);

  const laterReadyMs = await readyAfter(page, () => page.reload());
  const laterBackend = await page.getByTestId('backend').textContent();
  const decision = page.getByTestId('backend-decision');
  const notes = (await decision.count()) > 0 ? await decision.textContent() : null;
  console.log(JSON.stringify({ firstBackend, firstReadyMs, analysisMs, secondAnalysisMs, laterBackend, laterReadyMs, notes }));

  expect(firstBackend).toBe('wasm');
  expect(laterBackend).toBe('wasm');
  // The panel says why: both GPU backends were recognised as software on the first visit…
  expect(notes).toMatch(/remembered/i);
  // …and the later visit skips probing and timing the GPUs: that is what keeps it quick (the ready
  // time is logged above; the ≤ 3 s target is measured by the benchmark, never asserted here).
});

test('a forced backend still wins over the automatic decision', async ({ page }) => {
  await openApp(page, { backend: 'webgl' });
  await expect(page.getByTestId('backend')).toHaveText('webgl');
  await expect(page.getByTestId('backend-decision')).toHaveCount(0);
});

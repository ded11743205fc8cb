import { expect, test, type Page } from '@playwright/test';
import {
  analyze,
  canvasSpread,
  CLASSES,
  expectKernelsOnEveryCore,
  MODALITIES,
  openApp,
  probabilities,
  uploadAll,
} from './helpers';

async function heatmapOverlayDifference(page: Page, m: string): Promise<number> {
  const read = () =>
    page.getByTestId(`gradcam-${m}`).evaluate((el) => {
      const c = el as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
    });
  const slider = page.getByTestId('heatmap-opacity');
  await slider.fill('0');
  const without = await read();
  await slider.fill('1');
  const withMap = await read();
  let diff = 0;
  for (let i = 0; i < without.length; i++) diff += Math.abs(without[i]! - withMap[i]!);
  return diff / without.length;
}

test('three modalities → calibrated probabilities, fused result and non-blank heatmaps (WASM)', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  await expect(page.getByTestId('model-id')).toContainText('fixture-tiny');
  await expect(page.getByTestId('disclaimer')).toContainText(/not/i);
  await uploadAll(page);
  await analyze(page);
  for (const key of [...MODALITIES, 'fused']) {
    const p = await probabilities(page, key);
    for (const v of p) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(p.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  }
  for (const m of MODALITIES) {
    expect(await canvasSpread(page, `gradcam-${m}`)).toBeGreaterThan(1);
    // The top class's map overlaid at full opacity changes the picture: the heatmap is not blank.
    const p = await probabilities(page, m);
    await page.getByTestId('heatmap-class').selectOption(CLASSES[p.indexOf(Math.max(...p))]!);
    expect(await heatmapOverlayDifference(page, m)).toBeGreaterThan(2);
  }
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test("WASM on a cross-origin-isolated page runs the app's convolution kernels on every core", async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  await expectKernelsOnEveryCore(page);
  // The helper threads compute: the results match the single-threaded reference in the next test
  // (WebGPU vs WASM) and are well-formed here.
  await uploadAll(page, 5);
  await analyze(page);
  for (const m of MODALITIES) expect((await probabilities(page, m)).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test('any subset of modalities can be analysed', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await uploadAll(page);
  await page
    .getByTestId('slot-cdfi')
    .getByRole('button', { name: /remove/i })
    .click();
  await analyze(page);
  await expect(page.getByTestId('gradcam-bmode')).toBeVisible();
  await expect(page.getByTestId('gradcam-cdfi')).toHaveCount(0);
  const fused = await probabilities(page, 'fused');
  const b = await probabilities(page, 'bmode');
  const e = await probabilities(page, 'elastography');
  fused.forEach((v, i) => expect(v).toBeCloseTo((b[i]! + e[i]!) / 2, 5));
});

test('WebGPU (software adapter) and WASM agree within 1e-3', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await uploadAll(page, 7);
  await analyze(page);
  const wasm = Object.fromEntries(await Promise.all(MODALITIES.map(async (m) => [m, await probabilities(page, m)] as const)));

  await page.getByTestId('backend-choice').selectOption('webgpu');
  await expect(page.getByTestId('backend')).toHaveText('webgpu', { timeout: 170_000 });
  // The app's own WGSL convolution kernels ran the pack (runtime/webgpu-conv), in f32.
  await expect(page.getByTestId('webgpu-kernels')).toHaveText('LymphScope convolution kernels (f32)');
  // Images and ROIs survive the backend switch.
  await analyze(page);
  for (const m of MODALITIES) {
    const gpu = await probabilities(page, m);
    gpu.forEach((v, i) => expect(Math.abs(v - wasm[m]![i]!)).toBeLessThan(1e-3));
  }
});

test('WebGPU start-up shows the shader compilation advancing', async ({ page }) => {
  // Every text the start-up line shows, recorded as the DOM changes (each progress message is its own task).
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { startupTexts: string[] }).startupTexts = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="startup-progress"] [role="status"]')?.textContent ?? '';
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await openApp(page, { backend: 'webgpu' });
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  const texts = await page.evaluate(() => (window as unknown as { startupTexts: string[] }).startupTexts);
  const counts = texts.flatMap((t) => {
    const m = /^Compiling GPU shaders: (\d+) of (\d+)/.exec(t);
    return m ? [[Number(m[1]), Number(m[2])] as const] : [];
  });
  expect(counts.length, texts.join(' | ')).toBeGreaterThan(1);
  expect(counts[0]![0]).toBe(0);
  // The count only goes up, towards the total.
  for (let i = 1; i < counts.length; i++) expect(counts[i]![0]).toBeGreaterThan(counts[i - 1]![0]);
  expect(texts).toContain('Warming up (first run)…');
});

test('tensor count stays flat over 20 analyses', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await uploadAll(page, 3);
  await analyze(page);
  const stats = () =>
    page.evaluate(() =>
      (globalThis as unknown as { lymphscope: { stats(): Promise<{ numTensors: number }> } }).lymphscope.stats(),
    );
  const before = (await stats()).numTensors;
  for (let i = 0; i < 20; i++) await analyze(page);
  const after = (await stats()).numTensors;
  expect(after).toBe(before);
});

test('ROI: drawing a region changes what the model sees', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await uploadAll(page, 5);
  await analyze(page);
  const whole = await probabilities(page, 'bmode');
  const canvas = page.getByTestId('slot-bmode').getByTestId('roi-canvas');
  // After an analysis the page scrolls (smoothly) to the headline: bring the canvas back and let
  // the scroll settle before taking its position.
  await canvas.scrollIntoViewIfNeeded();
  await expect.poll(async () => JSON.stringify(await canvas.boundingBox())).toBe(JSON.stringify(await canvas.boundingBox()));
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.1);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('slot-bmode')).not.toContainText('Region: 320×240');
  await analyze(page);
  const cropped = await probabilities(page, 'bmode');
  expect(cropped).not.toEqual(whole);
});

import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { analyze, hugeGrayPng, modalityImage, openApp, probabilities, upload, uploadAll, FIXTURE_INDEX } from './helpers';

const slotError = (page: import('@playwright/test').Page, m: string) => page.getByTestId(`slot-${m}`).getByTestId('error');

test.describe('bad image files: clear message, other slots keep their images', () => {
  const good = modalityImage('cdfi');
  const cases: [string, Buffer, RegExp][] = [
    ['empty.png', Buffer.alloc(0), /empty \(0 bytes\)/],
    ['truncated.png', good.subarray(0, Math.floor(good.length / 2)), /incomplete/],
    ['report.png', Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n'), /PDF document/],
    ['notes.png', Buffer.from('Patient notes: left level II node, 14 mm.\n'), /text file/],
    ['noise.webp', Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 97 + 13) % 256)), /not a supported image/],
  ];

  for (const [name, bytes, message] of cases) {
    test(name, async ({ page }) => {
      await openApp(page, { backend: 'wasm' });
      await uploadAll(page);
      await upload(page, 'cdfi', name, bytes);
      await expect(slotError(page, 'cdfi')).toHaveText(message);
      // The slot keeps its previous image, the others are untouched, and analysis still works.
      for (const m of ['bmode', 'cdfi', 'elastography']) {
        await expect(page.getByTestId(`slot-${m}`).getByTestId('roi-canvas')).toBeVisible();
      }
      await analyze(page);
      expect((await probabilities(page, 'cdfi')).length).toBe(3);
    });
  }

  test('truncated JPEG', async ({ page }) => {
    await openApp(page, { backend: 'wasm' });
    const jpeg = await page.evaluate(async () => {
      const c = new OffscreenCanvas(200, 150);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#777';
      ctx.fillRect(0, 0, 200, 150);
      ctx.fillStyle = '#222';
      ctx.beginPath();
      ctx.ellipse(100, 75, 50, 30, 0, 0, Math.PI * 2);
      ctx.fill();
      const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    });
    await upload(page, 'bmode', 'cut.jpg', Buffer.from(jpeg.slice(0, Math.floor(jpeg.length * 0.6))), 'image/jpeg');
    await expect(slotError(page, 'bmode')).toHaveText(/incomplete/);
    await upload(page, 'bmode', 'whole.jpg', Buffer.from(jpeg), 'image/jpeg');
    await expect(slotError(page, 'bmode')).toHaveCount(0);
    await expect(page.getByTestId('slot-bmode').getByTestId('roi-canvas')).toBeVisible();
  });
});

test('a 10000×10000 image is downscaled before analysis', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await upload(page, 'bmode', 'huge.png', hugeGrayPng(10_000, 10_000));
  await expect(page.getByTestId('slot-bmode')).toContainText('10000×10000', { timeout: 60_000 });
  await expect(page.getByTestId('slot-bmode')).toContainText('Region: 2048×2048');
  // One flat gray: the input check calls it blank (docs/input-checks.md); analysed on the override.
  await expect(page.getByTestId('input-check-bmode')).toHaveAttribute('data-verdict', 'low-quality');
  await page.getByTestId('analyse-anyway-bmode').click();
  await analyze(page);
  expect((await probabilities(page, 'bmode')).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
});

test('grayscale image in the CDFI and elastography slots → warning', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await upload(page, 'cdfi', 'gray.png', modalityImage('bmode'));
  await expect(page.getByTestId('warning-cdfi')).toContainText(/grayscale/);
  await upload(page, 'elastography', 'gray.png', modalityImage('bmode'));
  await expect(page.getByTestId('warning-elastography')).toContainText(/grayscale/);
  await upload(page, 'bmode', 'colour.png', modalityImage('elastography'));
  await expect(page.getByTestId('warning-bmode')).toContainText(/colour/);
});

test('a tampered model file is refused', async ({ page }) => {
  await page.route('**/__fixtures__/models/fixture-tiny/cdfi/*.bin', async (route) => {
    const res = await route.fetch();
    const body = Buffer.from(await res.body());
    body[body.length >> 1] = body[body.length >> 1]! ^ 0xff;
    await route.fulfill({ response: res, body });
  });
  await openApp(page, { backend: 'none' });
  await expect(page.getByTestId('error')).toContainText(/does not match its checksum/);
  await expect(page.getByTestId('error')).toContainText('cdfi/');
  await expect(page.getByTestId('analyze')).toBeDisabled();
});

test('a malformed manifest is refused with the field named', async ({ page }) => {
  await page.route('**/__fixtures__/models/fixture-tiny/manifest.json', async (route) => {
    const res = await route.fetch();
    const m = JSON.parse((await res.body()).toString());
    m.modalities.bmode.input.std = [0.2, 0, 0.2];
    await route.fulfill({ response: res, body: JSON.stringify(m) });
  });
  await openApp(page, { backend: 'none' });
  await expect(page.getByTestId('error')).toContainText('modalities.bmode.input.std[1]');
});

test('a forced backend that is unavailable says why, and images stay', async ({ playwright }) => {
  // A browser without the WebGPU flag: forcing WebGPU must fail clearly, not silently fall back.
  const browser = await playwright.chromium.launch({
    executablePath: test.info().project.use.launchOptions?.executablePath,
    args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'),
  });
  const page = await browser.newPage({ baseURL: test.info().project.use.baseURL });
  await openApp(page, { backend: 'wasm' });
  await uploadAll(page);
  await page.getByTestId('backend-choice').selectOption('webgpu');
  await expect(page.getByTestId('error')).toContainText(/webgpu/i);
  for (const m of ['bmode', 'cdfi', 'elastography'])
    await expect(page.getByTestId(`slot-${m}`).getByTestId('roi-canvas')).toBeVisible();
  await page.getByTestId('backend-choice').selectOption('wasm');
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  await analyze(page);
  await browser.close();
});

test('a crashed analysis worker is restarted and the images are kept', async ({ page }) => {
  let crashes = 1;
  await page.route(/\/assets\/worker-[^/]+\.js$/, async (route) => {
    if (crashes-- > 0)
      await route.fulfill({ status: 200, contentType: 'text/javascript', body: 'throw new Error("simulated worker crash")' });
    else await route.continue();
  });
  await openApp(page, { backend: 'none' });
  await expect(page.getByTestId('error')).toContainText(/stopped unexpectedly|restarted/);
  await uploadAll(page);
  await page.getByRole('button', { name: /try again/i }).click();
  await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
  await analyze(page);
  expect((await probabilities(page, 'bmode')).length).toBe(3);
});

test('index of packs is served and the fixture index is used only when asked', async ({ page }) => {
  const idx = JSON.parse(readFileSync('tests/.generated/models/index.json', 'utf8'));
  expect(idx.packs[0].id).toBe('fixture-tiny');
  await openApp(page, { backend: 'wasm', models: FIXTURE_INDEX });
  await expect(page.getByRole('alert').filter({ hasText: 'Test fixture with random weights' })).toBeVisible();
});

/**
 * A PyTorch checkpoint (written by Debian's torch, training/tests/test_torch_checkpoints.py) imported
 * in the browser: questions → pack stored on the device → listed in pack-select as "imported, not
 * validated" → analysis reproduces PyTorch's probabilities on the reference image → pack-export →
 * the zip imports again (asked for a new id, never overwritten). Bad inputs are refused by name.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { CHECKPOINT_DIR, ensureCheckpoints } from '../fixtures/torch-checkpoints';
import { analyze, CLASSES, openApp, probabilities } from './helpers';

const ckpt = (name: string) => join(CHECKPOINT_DIR, name);

function softmax(logits: number[]): number[] {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b);
  return e.map((v) => v / s);
}

/** Imports a checkpoint through the questions; returns seconds from "Build pack" to the pack ready. */
async function importCheckpoint(page: Page, file: string, packId: string): Promise<number> {
  await page.getByTestId('import-model').setInputFiles(ckpt(file));
  await expect(page.getByTestId('import-detected')).toBeVisible();
  await page.getByTestId('import-modality').selectOption('bmode');
  await page.getByTestId('import-classes').fill(CLASSES.join(', '));
  await page.getByTestId('import-pack-id').fill(packId);
  const start = Date.now();
  await page.getByTestId('import-build').click();
  await expect(page.getByTestId('model-id')).toContainText(packId, { timeout: 120_000 });
  await expect(page.getByTestId('backend')).not.toHaveText('—');
  return (Date.now() - start) / 1000;
}

/** Analyses the reference image (whole image as ROI: exactly the input PyTorch saw) on B-mode. */
async function analyseReference(page: Page): Promise<number[]> {
  await page.getByTestId('upload-bmode').setInputFiles(ckpt('reference.png'));
  const slot = page.getByTestId('slot-bmode');
  await expect(slot.getByTestId('roi-canvas')).toBeVisible();
  await slot.getByTestId('roi-whole').click();
  await expect(slot.getByTestId('roi-size')).toHaveText('Region: 224×224 px');
  await analyze(page);
  return probabilities(page, 'bmode');
}

function expectProbabilitiesClose(got: number[], logits: number[]): void {
  const want = softmax(logits);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(1e-4));
}

test.beforeAll(() => {
  ensureCheckpoints();
});

test('ResNet-18 checkpoint → pack-select → analyse (PyTorch probabilities) → pack-export → re-import asks for a new id', async ({
  page,
}, info) => {
  const ref = ensureCheckpoints();
  await openApp(page, { backend: 'wasm' });
  const seconds = await importCheckpoint(page, 'r18-dataparallel.pth', 'site-r18');
  info.annotations.push({ type: 'resnet18-import-seconds', description: seconds.toFixed(1) });
  console.log(`ResNet-18 import → ready: ${seconds.toFixed(1)} s; ${await page.getByTestId('import-done').textContent()}`);
  // Target ≤ 10 s (measured 6.7 s on the 2-core build machine, docs/import.md); headroom for a loaded machine.
  expect(seconds).toBeLessThan(20);

  const select = page.getByTestId('pack-select');
  await expect(select.locator('option[value="site-r18"]')).toHaveText(/imported, not validated/);
  await expect(select.locator('option[value="fixture-tiny"]')).toHaveCount(1);
  await expect(select).toHaveValue('site-r18');
  await expect(page.getByTestId('pack-imported-label')).toHaveText('imported, not validated');

  expectProbabilitiesClose(await analyseReference(page), ref.logits.r18);

  const download = page.waitForEvent('download');
  await page.getByTestId('pack-export').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('site-r18-1.0.0.zip');
  const zipPath = test.info().outputPath('site-r18.zip');
  await file.saveAs(zipPath);
  const entries = unzipSync(new Uint8Array(readFileSync(zipPath)));
  const manifest = JSON.parse(new TextDecoder().decode(entries['site-r18/manifest.json']));
  expect(manifest.id).toBe('site-r18');
  expect(Object.keys(entries).sort()).toEqual(
    ['site-r18/manifest.json', ...manifest.files.map((f: { path: string }) => `site-r18/${f.path}`)].sort(),
  );

  // The same zip again: the id is taken, the user is asked; the stored pack is not touched.
  await page.getByTestId('import-model').setInputFiles(zipPath);
  await expect(page.getByTestId('import-collision')).toContainText('"site-r18" already exists');
  await page.getByTestId('import-new-id').fill('site-r18-copy');
  await page.getByTestId('import-rename').click();
  await expect(page.getByTestId('import-done')).toContainText('site-r18-copy', { timeout: 120_000 });
  await expect(page.getByTestId('model-id')).toContainText('site-r18-copy', { timeout: 120_000 });
  await expect(select.locator('option')).toHaveCount(3);

  // Switching back to the bundled pack and to the first import works from the list.
  await select.selectOption('fixture-tiny');
  await expect(page.getByTestId('model-id')).toContainText('fixture-tiny');
  await select.selectOption('site-r18');
  await expect(page.getByTestId('model-id')).toContainText('site-r18 v');
  await expect(page.getByTestId('error')).toHaveCount(0);
});

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`EfficientNet-B0 checkpoint (depthwise, SiLU, squeeze-excitation) reproduces PyTorch on ${backend}`, async ({ page }) => {
    const ref = ensureCheckpoints();
    await openApp(page, { backend });
    await expect(page.getByTestId('backend')).toHaveText(backend);
    await page.getByTestId('import-model').setInputFiles(ckpt('effb0-whole.pth'));
    await expect(page.getByTestId('import-detected')).toContainText('efficientnet_b0');
    await expect(page.getByTestId('import-size')).toHaveValue('224');
    await importCheckpoint(page, 'effb0-whole.pth', `eff-${backend}`);
    await expect(page.getByTestId('backend')).toHaveText(backend);
    const got = await analyseReference(page);
    // WebGPU computes in a different order (and may use reduced-precision paths): a looser bound.
    const tol = backend === 'wasm' ? 1e-4 : 2e-3;
    const want = softmax(ref.logits.effb0);
    got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(tol));
  });
}

test('bad checkpoints are refused by name and nothing is stored', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  const error = page.getByTestId('import-error');
  await page.getByTestId('import-model').setInputFiles(ckpt('evil-os-system.pth'));
  await expect(error).toHaveAttribute('data-code', 'refused');
  await expect(error).toContainText('nothing in it was run');
  await expect(error).toContainText(/system/);

  await page
    .getByTestId('import-model')
    .setInputFiles({ name: 'notes.pth', mimeType: 'application/octet-stream', buffer: Buffer.from('hello') });
  await expect(error).toHaveAttribute('data-code', 'not-checkpoint');

  await page.getByTestId('import-model').setInputFiles(ckpt('r18-four-classes.pth'));
  await expect(page.getByTestId('import-detected')).toContainText('4 outputs');
  await page.getByTestId('import-build').click();
  await expect(error).toHaveAttribute('data-code', 'head-size');
  await expect(error).toContainText('head fc has 4 outputs, but 3 classes');

  await page.getByTestId('import-model').setInputFiles(ckpt('r18-missing-key.pth'));
  await page.getByTestId('import-build').click();
  await expect(error).toHaveAttribute('data-code', 'missing-keys');
  await expect(error).toContainText('layer3.1.bn2.running_var');

  await expect(page.getByTestId('pack-select').locator('option')).toHaveCount(1);
});

test('a pack folder imports with its checks; a bundled id is a collision, asked for a new id', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await page.getByTestId('import-pack-folder').setInputFiles(join(CHECKPOINT_DIR, '../models/fixture-tiny'));
  await expect(page.getByTestId('import-collision')).toContainText('"fixture-tiny" already exists');
  await page.getByTestId('import-new-id').fill('fixture-copy');
  await page.getByTestId('import-rename').click();
  await expect(page.getByTestId('model-id')).toContainText('fixture-copy', { timeout: 120_000 });
  await expect(page.getByTestId('pack-select').locator('option[value="fixture-copy"]')).toHaveText(/imported, not validated/);

  // Removed from the device: back on the bundled pack, no longer listed.
  await page.getByTestId('pack-delete').click();
  await expect(page.getByTestId('model-id')).toContainText('fixture-tiny');
  await expect(page.getByTestId('pack-select').locator('option')).toHaveCount(1);
  await expect(page.getByTestId('pack-delete')).toHaveCount(0);
});

test.describe('in Chinese', () => {
  test.use({ locale: 'zh-CN' });
  test('a refused checkpoint is explained in Chinese', async ({ page }) => {
    await openApp(page, { backend: 'wasm' });
    await page.getByTestId('import-model').setInputFiles(ckpt('evil-os-system.pth'));
    await expect(page.getByTestId('import-error')).toContainText('检查点请求了不允许的内容，已被拒绝，其中任何内容均未执行。');
  });
});

/**
 * One-off measurement, not part of CI (EfficientNet-B7 random weights are ~255 MB): set
 * B7_CHECKPOINT to a `torch.save(efficientnet_b7(num_classes=3).state_dict())` file and run
 * `TEST_PORT=… npx playwright test tests/browser/import-b7.measure.spec.ts`. Prints the time from
 * "Build pack" to the pack ready to analyse (WASM), at 299 px as the seed study ran it.
 */

import { expect, test } from '@playwright/test';
import { CLASSES, openApp } from './helpers';

const file = process.env.B7_CHECKPOINT;

test('EfficientNet-B7 import time', async ({ page }) => {
  test.skip(!file, 'set B7_CHECKPOINT to measure');
  test.setTimeout(600_000);
  await openApp(page, { backend: 'wasm' });
  const chosen = Date.now();
  await page.getByTestId('import-model').setInputFiles(file!);
  await expect(page.getByTestId('import-detected')).toContainText('efficientnet_b7', { timeout: 300_000 });
  const inspect = (Date.now() - chosen) / 1000;
  await page.getByTestId('import-classes').fill(CLASSES.join(', '));
  await page.getByTestId('import-size').fill('299');
  await page.getByTestId('import-pack-id').fill('b7');
  const start = Date.now();
  await page.getByTestId('import-build').click();
  await expect(page.getByTestId('model-id')).toContainText('b7 v', { timeout: 500_000 });
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  const ready = (Date.now() - start) / 1000;
  console.log(
    `EfficientNet-B7: recognised in ${inspect.toFixed(1)} s; build → ready: ${ready.toFixed(1)} s; ${await page.getByTestId('import-done').textContent()}`,
  );
});

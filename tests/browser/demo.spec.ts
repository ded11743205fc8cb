import { expect, test } from '@playwright/test';
import { analyze, MODALITIES, openApp, probabilities } from './helpers';

test('“Try a demo case” fills all three slots with a labelled simulated node that can be analysed', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await page.getByTestId('demo-class').selectOption('lymphoma');
  await page.getByTestId('demo-load').click();
  await expect(page.getByTestId('demo-label')).toContainText(/Simulated case \(not a patient\): Lymphoma node, seed \d+/);
  for (const m of MODALITIES) {
    const slot = page.getByTestId(`slot-${m}`);
    await expect(slot.getByTestId('roi-canvas')).toBeVisible();
    await expect(slot).toContainText('Simulated lymphoma node');
    // The demo starts from the sonographer's crop around the node, not the whole screenshot.
    await expect(slot).not.toContainText(/Region: 640×480/);
  }
  await analyze(page);
  for (const m of MODALITIES) expect((await probabilities(page, m)).reduce((a, b) => a + b)).toBeCloseTo(1, 5);

  // Replacing every slot with a real file removes the "simulated" label.
  for (const m of MODALITIES)
    await page
      .getByTestId(`slot-${m}`)
      .getByRole('button', { name: /remove/i })
      .click();
  await expect(page.getByTestId('demo-label')).toHaveCount(0);
});

/**
 * The whole analysis by keyboard alone: choose files through the slots' file inputs, adjust the
 * region with the arrow keys, analyse, pick the heatmap class and colour map. Every control reached
 * shows a visible focus indicator.
 */
import { expect, test, type FileChooser, type Page } from '@playwright/test';
import { CLASSES, MODALITIES, modalityImage, openApp } from './helpers';

/** Presses Tab until the element matching `testId` has focus (at most `max` presses). */
async function tabTo(page: Page, testId: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null)) === testId) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${testId}`);
}

/** True when the focused control (or, for a visually hidden file input, its label) shows an outline. */
async function focusVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return false;
    const candidates: Element[] = [el];
    if (el instanceof HTMLInputElement && el.type === 'file') {
      const label = el.closest('label');
      if (label) candidates.push(label, ...Array.from(label.children));
    }
    return candidates.some((c) => {
      const s = getComputedStyle(c);
      return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
    });
  });
}

test('keyboard only: load images, adjust the region, analyse, explore the heatmap', async ({ page }) => {
  test.setTimeout(240_000);
  await openApp(page, { backend: 'wasm' });
  await page.locator('body').click({ position: { x: 1, y: 1 } }); // start from the top of the page

  // The language switch, in the header, is reachable and shows its focus.
  await tabTo(page, 'language');
  expect(await focusVisible(page), 'focus visible on the language switch').toBe(true);

  // Intercept file choosers for the whole test (enabling interception per press can race the press).
  const choosers: FileChooser[] = [];
  page.on('filechooser', (fc) => choosers.push(fc));
  await page.evaluate(() => 0);
  for (const [k, m] of MODALITIES.entries()) {
    await tabTo(page, `upload-${m}`);
    expect(await focusVisible(page), `focus visible on upload-${m}`).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => choosers.length).toBe(k + 1);
    await choosers[k]!.setFiles({ name: `${m}.png`, mimeType: 'image/png', buffer: modalityImage(m, 4) });
    await expect(page.getByTestId(`slot-${m}`).getByTestId('roi-canvas')).toBeVisible();
  }

  // The B-mode region: Shift+arrows resize, arrows move — the size readout follows.
  const slot = page.getByTestId('slot-bmode');
  await slot.getByTestId('roi-canvas').focus();
  expect(await focusVisible(page)).toBe(true);
  const before = await slot.getByTestId('roi-size').textContent();
  await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.press('Shift+ArrowUp');
  await page.keyboard.press('ArrowRight');
  await expect(slot.getByTestId('roi-size')).not.toHaveText(before ?? '');

  await tabTo(page, 'analyze');
  expect(await focusVisible(page)).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('results')).toBeVisible({ timeout: 170_000 });
  await expect(page.getByTestId('analyze')).toBeEnabled({ timeout: 170_000 });
  // The answer is where the keyboard is: focus moved to the headline.
  await expect(page.getByTestId('headline')).toBeFocused();

  // The heatmap class control opens on the headline's top class; arrows move to a neighbouring class.
  const top = await page.getByTestId('headline').getAttribute('data-top-class');
  const k = CLASSES.indexOf(top as (typeof CLASSES)[number]);
  expect(k).toBeGreaterThanOrEqual(0);
  await tabTo(page, 'heatmap-class');
  expect(await focusVisible(page)).toBe(true);
  await expect(page.getByTestId('heatmap-class')).toHaveValue(CLASSES[k]!);
  await page.keyboard.press(k < CLASSES.length - 1 ? 'ArrowDown' : 'ArrowUp');
  await expect(page.getByTestId('heatmap-class')).toHaveValue(CLASSES[k < CLASSES.length - 1 ? k + 1 : k - 1]!);

  await tabTo(page, 'heatmap-colormap');
  expect(await focusVisible(page)).toBe(true);
  await page.keyboard.press('ArrowDown');
  await expect(page.getByTestId('heatmap-colormap')).toHaveValue('viridis');
  await expect(page.getByTestId('heatmap-legend')).toHaveAttribute('data-colormap', 'viridis');
});

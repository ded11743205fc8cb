import { expect, test, type Page } from '@playwright/test';
import { analyze, modalityImage, openApp, probabilities } from './helpers';

/** Fires a real DOM event carrying the file in a DataTransfer, as a drop or a paste from the OS does. */
async function sendFile(page: Page, modality: string, kind: 'drop' | 'paste', bytes: Buffer, name: string): Promise<void> {
  await page.getByTestId(`slot-${modality}`).evaluate(
    (el, { kind, data, name }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name, { type: 'image/png' }));
      const event =
        kind === 'drop'
          ? new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true })
          : new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
      el.dispatchEvent(event);
    },
    { kind, data: Array.from(bytes), name },
  );
}

test('an image can be dropped onto a slot and pasted into another', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await sendFile(page, 'bmode', 'drop', modalityImage('bmode'), 'dropped.png');
  await expect(page.getByTestId('slot-bmode').getByTestId('roi-canvas')).toBeVisible();
  await expect(page.getByTestId('slot-bmode')).toContainText('dropped.png');
  await sendFile(page, 'elastography', 'paste', modalityImage('elastography'), 'pasted.png');
  await expect(page.getByTestId('slot-elastography').getByTestId('roi-canvas')).toBeVisible();
  await expect(page.getByTestId('slot-elastography')).toContainText('pasted.png');
  await expect(page.getByTestId('slot-cdfi').getByTestId('roi-canvas')).toHaveCount(0);
  await analyze(page);
  expect((await probabilities(page, 'bmode')).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  expect((await probabilities(page, 'elastography')).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
});

test('a bad file dropped onto a filled slot is refused and the image stays', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  await sendFile(page, 'cdfi', 'drop', modalityImage('cdfi'), 'good.png');
  await expect(page.getByTestId('slot-cdfi').getByTestId('roi-canvas')).toBeVisible();
  await sendFile(page, 'cdfi', 'drop', Buffer.from('%PDF-1.4 not an image'), 'scan.png');
  await expect(page.getByTestId('slot-cdfi').getByTestId('error')).toContainText('PDF document');
  await expect(page.getByTestId('slot-cdfi')).toContainText('good.png');
});

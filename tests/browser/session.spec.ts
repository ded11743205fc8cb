/**
 * The session's guards in the real app: results marked stale when a region moves while the
 * analysis runs, the latest file winning a slot whatever order the decodes finish in, the prompt
 * before a reload discards loaded images, and the warning before full images are kept.
 *
 * Two hooks, installed before the app loads, make the timing deterministic without touching the
 * app: analysis requests to the inference worker can be held back, and reading a file whose name
 * starts with "slow" waits until the test lets it finish.
 */
import { expect, test, type Page } from '@playwright/test';
import { analyze, modalityImage, openApp, upload, uploadAll } from './helpers';

async function installHooks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    const held: (() => void)[] = [];
    w.__hold = false;
    w.__heldCount = () => held.length;
    w.__release = () => {
      w.__hold = false;
      for (const post of held.splice(0)) post();
    };
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: unknown[]) {
      const m = message as { type?: unknown; modality?: unknown } | null;
      if (w.__hold && m && m.type === 'analyze' && typeof m.modality === 'string') {
        held.push(() => (post as (...a: unknown[]) => void).call(this, message, ...rest));
        return;
      }
      return (post as (...a: unknown[]) => void).call(this, message, ...rest);
    } as typeof Worker.prototype.postMessage;

    let releaseSlow: () => void = () => {};
    const slowGate = new Promise<void>((r) => (releaseSlow = r));
    w.__releaseSlow = () => releaseSlow();
    w.__slowRead = false;
    const read = Blob.prototype.arrayBuffer;
    Blob.prototype.arrayBuffer = async function (this: Blob) {
      const bytes = await read.call(this);
      if (this instanceof File && this.name.startsWith('slow')) {
        await slowGate;
        w.__slowRead = true;
      }
      return bytes;
    };
  });
}

const fileNameOf = (page: Page, m: string) => page.getByTestId(`slot-${m}`).locator('p.file');

test('a region moved while the analysis runs marks the results stale; Save and Report wait for a new analysis', async ({
  page,
}) => {
  await installHooks(page);
  await openApp(page);
  await uploadAll(page);

  await page.evaluate(() => ((window as unknown as { __hold: boolean }).__hold = true));
  await page.getByTestId('analyze').click();
  await expect.poll(() => page.evaluate(() => (window as unknown as { __heldCount(): number }).__heldCount())).toBe(1);
  const roi = page.getByTestId('slot-bmode').getByTestId('roi-canvas');
  const before = await page.getByTestId('slot-bmode').getByTestId('roi-size').textContent();
  await roi.focus();
  await page.keyboard.press('Shift+ArrowLeft');
  await expect(page.getByTestId('slot-bmode').getByTestId('roi-size')).not.toHaveText(before ?? '');
  await page.evaluate(() => (window as unknown as { __release(): void }).__release());
  await expect(page.getByTestId('analyze')).toHaveText(/Analyse$/, { timeout: 170_000 });

  await expect(page.getByTestId('stale-bmode')).toBeVisible();
  await expect(page.getByTestId('stale-cdfi')).toHaveCount(0);
  await expect(page.getByTestId('stale-fused')).toBeVisible();
  await expect(page.getByTestId('results-stale')).toBeVisible();
  await expect(page.getByTestId('open-report')).toBeDisabled();
  await expect(page.getByTestId('save-case')).toBeDisabled();
  await page.getByTestId('nav-history').click();
  await expect(page.getByTestId('history-save')).toBeDisabled();

  await analyze(page);
  await expect(page.getByTestId('stale-bmode')).toHaveCount(0);
  await expect(page.getByTestId('stale-fused')).toHaveCount(0);
  await expect(page.getByTestId('results-stale')).toHaveCount(0);
  await expect(page.getByTestId('open-report')).toBeEnabled();
  await expect(page.getByTestId('history-save')).toBeEnabled();

  // Keeping the full images keeps whatever is burned into them: the panel says so before saving.
  await expect(page.getByTestId('history-keep-full-warning')).toHaveCount(0);
  await page.getByTestId('history-keep-full').check();
  await expect(page.getByTestId('history-keep-full-warning')).toContainText('patient');
});

test('a file that finishes decoding late does not replace the one chosen after it', async ({ page }) => {
  await installHooks(page);
  await openApp(page);
  await upload(page, 'bmode', 'slow.png', modalityImage('bmode', 3));
  await upload(page, 'bmode', 'fast.png', modalityImage('bmode', 4));
  await expect(fileNameOf(page, 'bmode')).toHaveText('fast.png');
  await page.evaluate(() => (window as unknown as { __releaseSlow(): void }).__releaseSlow());
  await expect.poll(() => page.evaluate(() => (window as unknown as { __slowRead: boolean }).__slowRead)).toBe(true);
  // The late decode has had ample time to land (it takes milliseconds); the slot must not change.
  await page.waitForTimeout(1500);
  await expect(fileNameOf(page, 'bmode')).toHaveText('fast.png');
  // No decoding or error status is left; the input check's own verdict note is the only status.
  const statuses = page.getByTestId('slot-bmode').getByRole('status');
  await expect(statuses).toHaveCount(1);
  await expect(statuses).toHaveAttribute('data-testid', 'input-check-bmode');
});

test('a reload asks first while loaded images are unsaved, and not once they are saved', async ({ page }) => {
  await openApp(page);
  await uploadAll(page);
  // Chromium only prompts on pages the user has interacted with.
  await page.getByRole('heading', { level: 1 }).click();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.type());
    void d.dismiss();
  });
  await page.reload({ timeout: 5000 }).catch(() => undefined);
  expect(dialogs).toEqual(['beforeunload']);
  await expect(fileNameOf(page, 'bmode')).toHaveText('bmode.png');

  await analyze(page);
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-save').click();
  await expect(page.getByTestId('history-saved')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
  expect(dialogs).toEqual(['beforeunload']);
});

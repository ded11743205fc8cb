import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { analyze, openApp, probabilities, uploadAll } from './helpers';

test('case history: save, reload, search, reopen, passphrase lock, export, delete all, import', async ({ page }) => {
  page.on('dialog', (d) => void d.accept());
  await openApp(page);
  await uploadAll(page);
  await analyze(page);
  const fused = await probabilities(page, 'fused');
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-label').fill('Study 42 left II');
  await page.getByTestId('history-note').fill('round, hilum absent');
  let t = Date.now();
  await page.getByTestId('history-save').click();
  await expect(page.getByTestId('history-saved')).toBeVisible();
  const saveMs = Date.now() - t;

  // Survives a reload; reopening puts the stored result back on screen.
  await page.reload();
  await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
  await page.getByTestId('nav-history').click();
  await expect(page.getByTestId('history-row')).toHaveCount(1);
  await page.getByTestId('history-search').fill('no such case');
  await expect(page.getByTestId('history-empty')).toBeVisible();
  await page.getByTestId('history-search').fill('study 42');
  await expect(page.getByTestId('history-row')).toHaveCount(1);
  t = Date.now();
  await page.getByTestId('history-open').click();
  await expect(page.getByTestId('reopened')).toBeVisible();
  console.log(`three-modality case in IndexedDB: save ${saveMs} ms, reopen ${Date.now() - t} ms (UI round trips)`);
  expect(await probabilities(page, 'fused')).toEqual(fused);

  // Passphrase: after a reload the history is locked; a wrong passphrase says so and destroys nothing.
  await page.getByText('Passphrase protection').click();
  await page.getByTestId('history-new-passphrase').fill('s3cret words');
  await page.getByTestId('history-new-passphrase2').fill('s3cret words');
  await page.getByTestId('history-set-passphrase').click();
  await expect(page.getByTestId('history-lock')).toBeVisible();
  await page.reload();
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-passphrase').fill('wrong');
  await page.getByTestId('history-unlock').click();
  await expect(page.getByTestId('history-error')).toContainText('Wrong passphrase');
  await page.getByTestId('history-passphrase').fill('s3cret words');
  t = Date.now();
  await page.getByTestId('history-unlock').click();
  await expect(page.getByTestId('history-row')).toHaveCount(1);
  console.log(`unlock (PBKDF2 600k iterations, decrypt the list): ${Date.now() - t} ms`);

  // Export the selected case, delete everything, import the file back.
  await page.getByTestId('history-select').check();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('history-export').click()]);
  const file = readFileSync((await download.path())!);
  await page.getByTestId('history-delete-all').click();
  await expect(page.getByTestId('history-empty')).toBeVisible();
  await page
    .getByTestId('history-import')
    .setInputFiles({ name: 'cases.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"nope"}') });
  await expect(page.getByTestId('history-error')).toContainText('not a LymphScope case export');
  await page.getByTestId('history-import').setInputFiles({ name: 'cases.json', mimeType: 'application/json', buffer: file });
  await expect(page.getByTestId('history-message')).toContainText('Imported 1 case');
  await expect(page.getByTestId('history-row')).toContainText('Study 42 left II');
  await page.getByTestId('history-delete').click();
  await expect(page.getByTestId('history-empty')).toBeVisible();
});

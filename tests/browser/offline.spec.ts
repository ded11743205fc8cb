import { expect, test } from '@playwright/test';
import { analyze, MODALITIES, openApp, probabilities, uploadAll } from './helpers';

test('installs for offline use: service worker ready → offline → reload → full analysis works', async ({ page, context }) => {
  const t0 = Date.now();
  await openApp(page);
  await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'offline-ready');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // The web app manifest makes it installable.
  const manifest = await page.evaluate(async () =>
    (await fetch(document.querySelector<HTMLLinkElement>('link[rel=manifest]')!.href)).json(),
  );
  expect(manifest).toMatchObject({ display: 'standalone', short_name: 'LymphScope' });
  expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));

  // The test pack is not bundled, so it is cached when first used under the service worker's control
  // (the bundled pack is precached at install). Use it once, then cut the network.
  await page.reload();
  await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
  await expect(page.getByTestId('pwa-offline')).toBeVisible();
  await uploadAll(page);
  await analyze(page);
  await expect(page.getByTestId('error')).toHaveCount(0);
  for (const key of [...MODALITIES, 'fused']) expect((await probabilities(page, key)).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  console.log(`offline test: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('offline with a model file missing from the cache: a clear message names the file', async ({ page, context }) => {
  await openApp(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.reload();
  await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
  // Drop one shard from the cache of used packs, then go offline.
  const dropped = await page.evaluate(async () => {
    const cache = await caches.open('lymphscope-model-packs');
    const keys = await cache.keys();
    const shard = keys.find((k) => k.url.endsWith('.bin'))!;
    await cache.delete(shard);
    return new URL(shard.url).pathname.split('/').slice(-2).join('/');
  });
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('error')).toContainText(dropped, { timeout: 60_000 });
  await expect(page.getByTestId('error')).toContainText(/offline/i);
});

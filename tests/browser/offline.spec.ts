import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PORT } from '../../playwright.config';
import {
  analyze,
  expectKernelsOnEveryCore,
  FIXTURE_INDEX,
  MODALITIES,
  modalityImage,
  openApp,
  probabilities,
  upload,
  uploadAll,
  wasmKernelsText,
} from './helpers';

test.use({ serviceWorkers: 'allow' });

/** Waits until the service worker holds the whole fixture pack (index, manifest, every file) offline. */
async function waitForPackCopy(page: Page): Promise<void> {
  const files = (JSON.parse(readFileSync('tests/.generated/models/fixture-tiny/manifest.json', 'utf8')) as { files: unknown[] })
    .files.length;
  await expect
    .poll(() => page.evaluate(async () => (await (await caches.open('lymphscope-model-packs')).keys()).length), {
      timeout: 60_000,
    })
    .toBe(files + 2);
}

test('installs for offline use: service worker ready → offline → reload → full analysis works', async ({ page, context }) => {
  const t0 = Date.now();
  await openApp(page);
  await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'offline-ready');
  await page.evaluate(() => navigator.serviceWorker.ready);
  // The web app manifest makes it installable.
  const manifest = await page.evaluate(async () =>
    (await fetch(document.querySelector<HTMLLinkElement>('link[rel=manifest]')!.href)).json(),
  );
  expect(manifest).toMatchObject({ display: 'standalone', short_name: 'LymphScope' });
  expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));

  // The test pack is not bundled (the bundled one is part of the install): once loaded, the app has
  // the service worker keep a verified offline copy of it. Then cut the network.
  await waitForPackCopy(page);
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
  await waitForPackCopy(page);
  // Drop one shard from the offline copy, then go offline.
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

test('works from a sub-path of a static host, with the service worker scoped to it', async ({ page }) => {
  const serveModule = join(process.cwd(), 'scripts/serve.mjs');
  const { startServer } = (await import(serveModule)) as {
    startServer: (o: { port: number; host: string; mounts: { url: string; dir: string }[] }) => Promise<Server>;
  };
  const port = PORT + 7;
  const server = await startServer({
    port,
    host: '127.0.0.1',
    mounts: [
      { url: '/__fixtures__/', dir: resolve('tests/.generated') },
      { url: '/clinic/tools/lymphscope/', dir: resolve('dist') },
    ],
  });
  try {
    const base = `http://127.0.0.1:${port}/clinic/tools/lymphscope/`;
    await page.addInitScript(() => localStorage.setItem('lymphscope.backend', 'wasm'));
    await page.goto(`${base}?models=${encodeURIComponent(FIXTURE_INDEX)}`);
    await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
    await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'offline-ready');
    expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).scope)).toBe(base);
    await upload(page, 'bmode', 'b.png', modalityImage('bmode'));
    await analyze(page);
    await expect(page.getByTestId('error')).toHaveCount(0);
  } finally {
    await new Promise((ok) => server.close(ok));
  }
});

test('a static host that sends no headers: the service worker isolates the page, so WASM gets threads from the second visit', async ({
  page,
}) => {
  const serveModule = join(process.cwd(), 'scripts/serve.mjs');
  const { startServer } = (await import(serveModule)) as {
    startServer: (o: { port: number; host: string; plain: boolean; mounts: { url: string; dir: string }[] }) => Promise<Server>;
  };
  const port = PORT + 8;
  const server = await startServer({
    port,
    host: '127.0.0.1',
    plain: true,
    mounts: [
      { url: '/__fixtures__/', dir: resolve('tests/.generated') },
      { url: '/', dir: resolve('dist') },
    ],
  });
  try {
    await page.addInitScript(() => localStorage.setItem('lymphscope.backend', 'wasm'));
    await page.goto(`http://127.0.0.1:${port}/?models=${encodeURIComponent(FIXTURE_INDEX)}`);
    await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
    // First visit: no headers, no isolation, one thread.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    await expect(page.getByTestId('wasm-kernels')).toHaveText(wasmKernelsText(1));
    await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'offline-ready');
    // Second visit, served by the service worker: isolated, every core.
    await page.reload();
    await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
    await expectKernelsOnEveryCore(page);
    await upload(page, 'bmode', 'b.png', modalityImage('bmode'));
    await analyze(page);
    await expect(page.getByTestId('error')).toHaveCount(0);
  } finally {
    await new Promise((ok) => server.close(ok));
  }
});

test('an update waits for the user and keeps the case on screen until Reload', async ({ page }) => {
  const sw = resolve('dist/sw.js');
  const original = readFileSync(sw, 'utf8');
  try {
    await openApp(page);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload(); // the app as a returning user has it: controlled by the service worker
    await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
    await upload(page, 'bmode', 'b.png', modalityImage('bmode'));
    await analyze(page);
    const before = await probabilities(page, 'bmode');
    // A new version appears on the server.
    writeFileSync(sw, `${original}\n// next version\n`);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await expect(page.getByTestId('pwa-update')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('pwa-update')).toContainText(/save the case/i);
    // Nothing was swapped under the open case: same results, same controller, still usable.
    expect(await probabilities(page, 'bmode')).toEqual(before);
    await analyze(page);
    expect(await probabilities(page, 'bmode')).toEqual(before);
    await Promise.all([page.waitForEvent('load'), page.getByTestId('pwa-reload').click()]);
    await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
    await expect(page.getByTestId('pwa-update')).toHaveCount(0);
  } finally {
    writeFileSync(sw, original);
  }
});

// With a bundled model pack (public/models/ at build time): it is part of the offline copy itself.
const bundled = existsSync('dist/models/index.json');

test('storage full during an update: the new version is refused whole, the offline copy stays intact and works offline', async ({
  page,
  context,
}) => {
  test.skip(!bundled, 'no model pack in public/models/ at build time');
  const sw = resolve('dist/sw.js');
  const html = resolve('dist/index.html');
  const originalSw = readFileSync(sw, 'utf8');
  const originalHtml = readFileSync(html, 'utf8');
  const MiB = 1024 * 1024;
  const estimate = () =>
    page.evaluate(async () => {
      const e = await navigator.storage.estimate();
      return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
    });
  try {
    await openApp(page, { models: 'models/index.json' });
    await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'offline-ready', { timeout: 120_000 });
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload(); // a returning user: the page is served by the offline copy
    await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
    const installed = await estimate();

    // The device's storage is nearly full: 2 MiB left, far less than the new version needs.
    const origin = new URL(page.url()).origin;
    const cdp = await context.newCDPSession(page);
    const quotaSize = installed.usage + 2 * MiB;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize });

    // A new version on the server: every precached file has a new revision (as with a new model
    // pack), and the page itself carries a marker, so a half-installed new version would show.
    writeFileSync(sw, originalSw.replaceAll('"revision":"', '"revision":"next-'));
    writeFileSync(html, originalHtml.replace('<head>', '<head><meta name="lymphscope-test-version" content="next">'));
    const outcome = await page.evaluate(async () => {
      const reg = (await navigator.serviceWorker.getRegistration())!;
      await reg.update();
      const next = reg.installing;
      if (!next) return { state: 'no update found', waiting: !!reg.waiting };
      await new Promise<void>((done) => {
        const settled = () => next.state === 'redundant' || next.state === 'installed' || next.state === 'activated';
        if (settled()) done();
        next.addEventListener('statechange', () => settled() && done());
      });
      return { state: next.state, waiting: !!reg.waiting };
    });
    expect(outcome).toEqual({ state: 'redundant', waiting: false });
    const after = await estimate();
    // What the failed install left in Cache Storage under the new revisions (whole entries: a
    // Cache Storage write is all or nothing), which the running version never serves.
    const leftover = await page.evaluate(async () => {
      let entries = 0;
      for (const name of await caches.keys())
        for (const req of await (await caches.open(name)).keys()) if (req.url.includes('next-')) entries++;
      return entries;
    });
    console.log(
      `quota full during update: installed ${(installed.usage / MiB).toFixed(1)} MiB, quota set to ${(quotaSize / MiB).toFixed(1)} MiB, ` +
        `after the failed update ${(after.usage / MiB).toFixed(1)} MiB, ${leftover} new-revision entries left, new worker ${outcome.state}`,
    );
    expect(after.usage).toBeLessThanOrEqual(quotaSize);
    // No Reload prompt; the user is told the update did not arrive and that this version stays.
    await expect(page.getByTestId('pwa-update')).toHaveCount(0);
    await expect(page.getByTestId('pwa-update-failed')).toContainText(/could not be stored.*keeps working offline/i);

    // The old offline copy is whole: offline, reloaded, it serves the old page (no marker), every
    // model file verifies against its manifest, and a full analysis runs.
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
    await expect(page.locator('meta[name="lymphscope-test-version"]')).toHaveCount(0);
    await expect(page.getByTestId('pwa-offline')).toBeVisible();
    // (The browser may check for the update again on this load and fail again: the same message.)
    await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', /^(offline-ready|update-failed)$/);
    await expect(page.getByTestId('pwa-error')).toHaveCount(0);
    await uploadAll(page);
    await analyze(page);
    await expect(page.getByTestId('error')).toHaveCount(0);
    for (const key of [...MODALITIES, 'fused'])
      expect((await probabilities(page, key)).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  } finally {
    writeFileSync(sw, originalSw);
    writeFileSync(html, originalHtml);
  }
});

test('bundled model pack: precached and verified at install, analysis offline without any prior use', async ({
  page,
  context,
}) => {
  test.skip(!bundled, 'no model pack in public/models/ at build time');
  await openApp(page, { models: 'models/index.json' });
  await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'offline-ready', { timeout: 120_000 });
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
  await uploadAll(page);
  await analyze(page);
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test('bundled model pack with a file that does not match its manifest: the offline copy is refused', async ({ page }) => {
  test.skip(!bundled, 'no model pack in public/models/ at build time');
  const index = JSON.parse(readFileSync('dist/models/index.json', 'utf8')) as {
    default: string;
    packs: { id: string; path: string }[];
  };
  const manifestPath = join('dist/models', index.packs.find((p) => p.id === index.default)!.path);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: { path: string }[] };
  const file = join(dirname(manifestPath), manifest.files.find((f) => f.path.endsWith('.bin'))!.path);
  const original = readFileSync(file);
  const altered = Buffer.from(original);
  altered[10] = altered[10]! ^ 0xff;
  writeFileSync(file, altered);
  try {
    await openApp(page, { models: 'models/index.json', backend: 'none' });
    await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'error', { timeout: 120_000 });
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
  } finally {
    writeFileSync(file, original);
  }
});

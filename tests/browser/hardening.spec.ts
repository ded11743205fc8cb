import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { PORT } from '../../playwright.config';
import { FIXTURE_INDEX, openApp } from './helpers';

/** A listener on another loopback address (another origin): it records every request that reaches it. */
async function otherOrigin(): Promise<{ origin: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method} ${req.url} referer=${req.headers.referer ?? ''}`);
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.2', ok));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.2:${port}`, seen, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** scripts/serve.mjs with --plain: a static host that sends no security headers at all. */
async function plainHost(port: number): Promise<Server> {
  const { startServer } = (await import(join(process.cwd(), 'scripts/serve.mjs'))) as {
    startServer: (o: { port: number; host: string; plain: boolean; mounts: { url: string; dir: string }[] }) => Promise<Server>;
  };
  return startServer({
    port,
    host: '127.0.0.1',
    plain: true,
    mounts: [
      { url: '/__fixtures__/', dir: resolve('tests/.generated') },
      { url: '/', dir: resolve('dist') },
    ],
  });
}

const HOSTILE_DIR = resolve('tests/.generated/hostile/models');

test.describe('packs from another origin', () => {
  test('an index whose pack path the URL parser would move to another origin is refused; nothing leaves', async ({ page }) => {
    const other = await otherOrigin();
    const server = await plainHost(PORT + 9);
    const host = other.origin.slice('http://'.length);
    const paths = [
      `\\\\${host}/models/x/manifest.json`,
      `\t//${host}/models/x/manifest.json`,
      ` //${host}/models/x/manifest.json`,
      `ht\ntp://${host}/models/x/manifest.json`,
    ];
    try {
      mkdirSync(HOSTILE_DIR, { recursive: true });
      for (const [i, path] of paths.entries()) {
        writeFileSync(
          join(HOSTILE_DIR, `index-${i}.json`),
          JSON.stringify({ formatVersion: 1, default: 'x', packs: [{ id: 'x', path, title: 'X' }] }),
        );
        await page.goto(
          `http://127.0.0.1:${PORT + 9}/?models=${encodeURIComponent(`/__fixtures__/hostile/models/index-${i}.json`)}`,
        );
        await expect(page.getByTestId('error')).toBeVisible({ timeout: 60_000 });
      }
      // A ?models= address outside the rule falls back to the bundled index instead of reading it.
      await page.goto(`http://127.0.0.1:${PORT + 9}/?models=${encodeURIComponent(`${other.origin}/models/index.json`)}`);
      await page.waitForLoadState('networkidle');
      expect(other.seen).toEqual([]);
    } finally {
      rmSync(resolve('tests/.generated/hostile'), { recursive: true, force: true });
      await new Promise((ok) => server.close(ok));
      await other.close();
    }
  });

  test.describe(() => {
    test.use({ serviceWorkers: 'allow' });
    test('no headers from the host: the service worker gives each worker a CSP that blocks other origins', async ({ page }) => {
      const other = await otherOrigin();
      const server = await plainHost(PORT + 10);
      try {
        await page.addInitScript(() => localStorage.setItem('lymphscope.backend', 'wasm'));
        await page.goto(`http://127.0.0.1:${PORT + 10}/?models=${encodeURIComponent(FIXTURE_INDEX)}`);
        await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'offline-ready', { timeout: 120_000 });
        await page.reload(); // now served by the service worker, with its headers
        await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
        const worker = page.workers().find((w) => /\/assets\/worker-[\w-]+\.js$/.test(w.url()));
        expect(
          worker,
          page
            .workers()
            .map((w) => w.url())
            .join(', '),
        ).toBeTruthy();
        const outcome = await worker!.evaluate(
          (url) =>
            fetch(url).then(
              () => 'reached',
              (e: unknown) => `blocked: ${String(e)}`,
            ),
          `${other.origin}/probe`,
        );
        expect(outcome).toMatch(/^blocked/);
        // The page's own policy (same service worker): framing refused, Trusted Types on.
        const csp = await page.evaluate(async () => (await fetch('./')).headers.get('Content-Security-Policy'));
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("require-trusted-types-for 'script'");
        expect(other.seen).toEqual([]);
      } finally {
        await new Promise((ok) => server.close(ok));
        await other.close();
      }
    });
  });
});

test('Trusted Types: the page refuses HTML strings and script URLs outside the app, and the app still works', async ({
  page,
}) => {
  await openApp(page);
  const outcome = await page.evaluate(() => {
    const attempt = (f: () => unknown) => {
      try {
        f();
        return 'allowed';
      } catch {
        return 'refused';
      }
    };
    return {
      innerHTML: attempt(() => (document.createElement('div').innerHTML = '<img src=x onerror=alert(1)>')),
      otherOriginWorker: attempt(() => new Worker('http://127.0.0.2:9/x.js')),
      dataWorker: attempt(() => new Worker('data:text/javascript,postMessage(1)')),
      appWorker: attempt(() => new Worker(new URL('sw.js', document.baseURI)).terminate()),
    };
  });
  expect(outcome).toEqual({ innerHTML: 'refused', otherOriginWorker: 'refused', dataWorker: 'refused', appWorker: 'allowed' });
  await expect(page.getByTestId('error')).toHaveCount(0);
});

// The bundled pack is part of the precache: its offline copy is what the app reads, online or not.
const bundled = existsSync('dist/models/index.json');

test.describe(() => {
  test.use({ serviceWorkers: 'allow' });
  test('a damaged file in the offline copy: an honest message offline, repaired from the server online', async ({
    page,
    context,
  }) => {
    test.skip(!bundled, 'no model pack in public/models/ at build time');
    await openApp(page, { models: 'models/index.json' });
    await expect(page.getByTestId('pwa')).toHaveAttribute('data-status', 'offline-ready', { timeout: 120_000 });
    await page.reload();
    await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
    // Damage one weight shard in the offline copy (as a disk error would).
    const damaged = await page.evaluate(async () => {
      const name = (await caches.keys()).find((k) => k.startsWith('workbox-precache'))!;
      const cache = await caches.open(name);
      const key = (await cache.keys()).find((k) => /\/models\/.+\.bin/.test(k.url))!;
      const res = (await cache.match(key))!;
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[100] = bytes[100]! ^ 0xff;
      await cache.put(key, new Response(bytes, { headers: res.headers }));
      return new URL(key.url).pathname;
    });
    const path = damaged.split('/models/')[1]!.split('/').slice(1).join('/');

    await context.setOffline(true);
    await page.reload();
    const error = page.getByTestId('error');
    await expect(error).toContainText(path, { timeout: 120_000 });
    await expect(error).toContainText(/offline copy .* on this device is damaged/);
    await expect(error).not.toContainText(/server/);

    await context.setOffline(false);
    await page.reload();
    await expect(page.getByTestId('backend')).toHaveText('wasm', { timeout: 120_000 });
    await expect(page.getByTestId('error')).toHaveCount(0);
    // The copy now holds the server's (verified) file.
    const repaired = await page.evaluate(async (p) => {
      const name = (await caches.keys()).find((k) => k.startsWith('workbox-precache'))!;
      const cache = await caches.open(name);
      const key = (await cache.keys()).find((k) => new URL(k.url).pathname === p)!;
      return Array.from(new Uint8Array(await (await cache.match(key))!.arrayBuffer()));
    }, damaged);
    const onDisk = readFileSync(join('dist', damaged));
    expect(createHash('sha256').update(Buffer.from(repaired)).digest('hex')).toBe(
      createHash('sha256').update(onDisk).digest('hex'),
    );
  });
});

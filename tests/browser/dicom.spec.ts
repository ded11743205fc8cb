/**
 * DICOM in real Chromium: every fixture (scripts/make-dicom-fixtures.ts) decodes to the expected
 * pixels through the app's imaging worker — JPEG baseline frames by the browser's own decoder — and
 * the slot shows frames, physical scale and errors without ever showing patient details.
 */
import { readdirSync } from 'node:fs';
import * as jpeg from 'jpeg-js';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { dicomFixtures, FIXTURE_PATIENT, unsupportedDicomFixtures } from '../../scripts/make-dicom-fixtures';
import { PNG } from 'pngjs';
import { generateCase } from '../../src/phantoms';
import { openApp, upload } from './helpers';

function workerAsset(): string {
  const f = readdirSync(join('dist', 'assets')).find((n) => /^decode-worker-.*\.js$/.test(n));
  if (!f) throw new Error('imaging worker not found in dist/assets: run `npm run build` first');
  return `./assets/${f}`;
}

/** Decodes `bytes` (frame `frame`) in the built imaging worker; returns the RGBA pixels as base64. */
async function decodeInWorker(page: Page, bytes: Uint8Array, frame: number) {
  return page.evaluate(
    async ({ url, b64, frame }) => {
      const bin = atob(b64);
      const buf = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
      const w = new Worker(url, { type: 'module' });
      const reply = await new Promise<{
        ok: boolean;
        code?: string;
        detail?: string;
        image?: { pixels: { width: number; height: number; data: Uint8ClampedArray }; frames?: number };
      }>((resolve) => {
        w.onmessage = (e) => resolve(e.data);
        w.postMessage({ id: 1, bytes: buf.buffer, name: 'f.dcm', opts: { frame } }, [buf.buffer]);
      });
      w.terminate();
      if (!reply.ok || !reply.image) return { ok: false as const, code: reply.code, detail: reply.detail };
      const d = reply.image.pixels.data;
      let s = '';
      for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]!);
      return {
        ok: true as const,
        width: reply.image.pixels.width,
        height: reply.image.pixels.height,
        frames: reply.image.frames,
        b64: btoa(s),
      };
    },
    { url: workerAsset(), b64: Buffer.from(bytes).toString('base64'), frame },
  );
}

test('every DICOM fixture decodes to the expected pixels in the browser', async ({ page }) => {
  await page.goto('./?models=/__fixtures__/none.json');
  for (const f of dicomFixtures()) {
    for (let k = 0; k < f.frames.length; k++) {
      const r = await decodeInWorker(page, f.bytes, k);
      expect(r.ok, `${f.name} frame ${k}: ${JSON.stringify(r)}`).toBe(true);
      if (!r.ok) continue;
      const expected = f.frames[k]!;
      expect([r.width, r.height], f.name).toEqual([expected.width, expected.height]);
      expect(r.frames).toBe(f.frames.length);
      const got = Buffer.from(r.b64, 'base64');
      let max = 0;
      let sum = 0;
      for (let i = 0; i < got.length; i++) {
        const d = Math.abs(got[i]! - expected.data[i]!);
        max = Math.max(max, d);
        sum += d;
      }
      // JPEG frames: the browser's decoder against the reference decoder (both exact IDCT, may round differently).
      expect(max, `${f.name} frame ${k} max difference`).toBeLessThanOrEqual(f.tolerance);
      if (f.jpeg) expect(sum / got.length, `${f.name} mean difference`).toBeLessThan(1.5);
    }
  }
});

test('unsupported transfer syntaxes are named in the error', async ({ page }) => {
  await page.goto('./?models=/__fixtures__/none.json');
  for (const u of unsupportedDicomFixtures()) {
    const r = await decodeInWorker(page, u.bytes, 0);
    expect(r.ok).toBe(false);
    if (r.ok) continue;
    expect(r.code).toBe('dicom-syntax');
    expect(r.detail).toContain(u.syntax);
  }
});

test('DICOM in the slots: cine frame picker, millimetres, named syntax errors, no patient details', async ({ page }) => {
  await openApp(page, { backend: 'wasm' });
  const fx = (n: string) => Buffer.from(dicomFixtures().find((f) => f.name === n)!.bytes);
  const bmode = page.getByTestId('slot-bmode');

  // A file without extension is recognised by its DICM preamble.
  await upload(page, 'bmode', 'IM0001', fx('mono2-implicit'), 'application/octet-stream');
  await expect(bmode.getByTestId('roi-canvas')).toBeVisible();
  await expect(bmode.getByTestId('dicom-info-bmode')).toContainText('Implicit VR Little Endian');

  // Pixel spacing 0.2 × 0.25 mm on a 48 × 36 image: the whole-image ROI is 9.6 × 9.0 mm.
  await upload(page, 'bmode', 'spacing.dcm', fx('mono2-explicit.dcm'), 'application/dicom');
  await bmode.getByTestId('roi-whole').click();
  await expect(bmode.getByTestId('roi-mm')).toContainText('9.6 × 9.0 mm');

  // Cine: the frame picker changes the frame and keeps the ROI.
  await upload(page, 'bmode', 'cine.dcm', fx('cine-4-frames.dcm'), 'application/dicom');
  const picker = bmode.getByTestId('frame-bmode');
  await expect(picker).toBeVisible();
  await expect(bmode.getByTestId('frame-label-bmode')).toHaveText('Frame 1 of 4');
  await picker.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(bmode.getByTestId('frame-label-bmode')).toHaveText('Frame 3 of 4');

  // JPEG baseline in the CDFI slot, then an unsupported syntax: named, and the slot keeps its image.
  await upload(page, 'cdfi', 'jpeg.dcm', fx('jpeg-baseline.dcm'), 'application/dicom');
  await expect(page.getByTestId('slot-cdfi').getByTestId('roi-canvas')).toBeVisible();
  const j2k = unsupportedDicomFixtures().find((u) => u.syntax === 'JPEG 2000')!;
  await upload(page, 'cdfi', 'j2k.dcm', Buffer.from(j2k.bytes), 'application/dicom');
  await expect(page.getByTestId('slot-cdfi').getByTestId('error')).toContainText('JPEG 2000 (1.2.840.10008.1.2.4.91)');
  await expect(page.getByTestId('slot-cdfi').getByTestId('roi-canvas')).toBeVisible();

  // Patient details never reach the page.
  const text = await page.locator('body').innerText();
  for (const v of Object.values(FIXTURE_PATIENT)) expect(text).not.toContain(v);
  expect(text).not.toContain('DOE');

  await page.getByTestId('analyze').click();
  await expect(page.getByTestId('results')).toBeVisible({ timeout: 170_000 });
});

/** A JPEG with an EXIF APP1 segment saying "rotate 90° clockwise" (orientation 6). */
function jpegWithOrientation(w: number, h: number, orientation: number): Buffer {
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) rgba.set(x < w / 2 ? [230, 230, 230, 255] : [20, 20, 20, 255], (y * w + x) * 4);
  const plain = jpeg.encode({ data: rgba, width: w, height: h }, 90).data;
  const tiff = Buffer.from([
    0x49,
    0x49,
    0x2a,
    0x00,
    0x08,
    0x00,
    0x00,
    0x00, // little-endian TIFF header, IFD at 8
    0x01,
    0x00, // one entry
    0x12,
    0x01,
    0x03,
    0x00,
    0x01,
    0x00,
    0x00,
    0x00,
    orientation,
    0x00,
    0x00,
    0x00, // Orientation, SHORT, 1
    0x00,
    0x00,
    0x00,
    0x00, // no next IFD
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
  return Buffer.concat([plain.subarray(0, 2), app1, plain.subarray(2)]);
}

test('EXIF orientation is honoured when decoding a photo', async ({ page }) => {
  await page.goto('./?models=/__fixtures__/none.json');
  const r = await decodeInWorker(page, new Uint8Array(jpegWithOrientation(64, 32, 6)), 0);
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  // Rotated 90° clockwise: 32 wide, 64 high; the bright left half is now on top.
  expect([r.width, r.height]).toEqual([32, 64]);
  const px = Buffer.from(r.b64, 'base64');
  const at = (x: number, y: number) => px[(y * r.width + x) * 4]!;
  expect(at(16, 8)).toBeGreaterThan(180);
  expect(at(16, 56)).toBeLessThan(70);
});

test('scanner screenshots get the image area as their region, the dual view its strain panel', async ({ page }) => {
  await openApp(page, { backend: 'none' });
  const c = generateCase({ seed: 7, cls: 'benign' });
  const png = (m: 'bmode' | 'cdfi' | 'elastography') => {
    const img = c.images[m];
    const p = new PNG({ width: img.width, height: img.height });
    p.data.set(img.data);
    return PNG.sync.write(p);
  };
  for (const m of ['bmode', 'cdfi', 'elastography'] as const) {
    await upload(page, m, `${m}-screenshot.png`, png(m));
    const slot = page.getByTestId(`slot-${m}`);
    await expect(slot.getByTestId(`roi-note-${m}`)).toBeVisible();
    // The simulated scanner's imaging field is 400 × 360 pixels.
    await expect(slot.getByTestId('roi-size')).toContainText('400×360');
    await expect(page.getByTestId(`warning-${m}`)).toHaveCount(0);
  }
  // Whole image, then proposed again.
  const slot = page.getByTestId('slot-elastography');
  await slot.getByTestId('roi-whole').click();
  await expect(slot.getByTestId('roi-size')).toContainText('960×480');
  await expect(slot.getByTestId('roi-note-elastography')).toHaveCount(0);
  await slot.getByTestId('roi-propose').click();
  await expect(slot.getByTestId('roi-size')).toContainText('400×360');
});

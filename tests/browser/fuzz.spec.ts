/**
 * Fuzz in real Chromium: mutated PNG, JPEG and JPEG-in-DICOM files go through the app's own imaging
 * worker (the built bundle, the same code path as an upload). Every case must answer with pixels or
 * an ImageInputError code and message within the time limit — never an uncaught exception, never a
 * hung worker. A sample also goes through the upload input to check what the user sees.
 * (Uncompressed DICOM is fuzzed in Node: tests/unit/imaging/fuzz-dicom.test.ts.)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import * as jpeg from 'jpeg-js';
import { dicomFixtures } from '../../scripts/make-dicom-fixtures';
import { mutate } from '../unit/imaging/fuzz-mutations';
import { ultrasoundLikePng, upload } from './helpers';

const PNG_CASES = 300;
const JPEG_CASES = 300;
const DICOM_JPEG_CASES = 120;
const BMP_CASES = 100;
const WEBP_CASES = 100;
const CASE_LIMIT_MS = 10_000;

function workerAsset(): string {
  const f = readdirSync(join('dist', 'assets')).find((n) => /^decode-worker-.*\.js$/.test(n));
  if (!f) throw new Error('imaging worker not found in dist/assets: run `npm run build` first');
  return `./assets/${f}`;
}

/** A 24-bit bottom-up BMP, written by hand. */
function bmp(w: number, h: number): Uint8Array {
  const row = Math.ceil((w * 3) / 4) * 4;
  const b = Buffer.alloc(54 + row * h);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set([(x * 4) & 255, (y * 5) & 255, 90], 54 + y * row + x * 3);
  return new Uint8Array(b);
}

function sources(): { kind: string; bytes: Uint8Array; count: number }[] {
  const png = new Uint8Array(ultrasoundLikePng(64, 48, 3, 'doppler'));
  const w = 64,
    h = 48;
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i * 7) & 255, (i >> 3) & 255, 128, 255], i * 4);
  const jpg = new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 85).data);
  const dcm = dicomFixtures().find((f) => f.name === 'jpeg-baseline.dcm')!.bytes;
  return [
    { kind: 'bmp', bytes: bmp(40, 30), count: BMP_CASES },
    { kind: 'png', bytes: png, count: PNG_CASES },
    { kind: 'jpeg', bytes: jpg, count: JPEG_CASES },
    { kind: 'dicom-jpeg', bytes: dcm, count: DICOM_JPEG_CASES },
  ];
}

test('fuzz: mutated PNG, JPEG, BMP, WebP and JPEG-in-DICOM files end in pixels or a clear error', async ({ page }) => {
  test.setTimeout(170_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('./?models=/__fixtures__/none.json');

  // WebP comes from the browser's own encoder.
  const webp = new Uint8Array(
    await page.evaluate(async () => {
      const c = new OffscreenCanvas(48, 32);
      const ctx = c.getContext('2d')!;
      for (let x = 0; x < 48; x += 4) {
        ctx.fillStyle = `rgb(${x * 5},${120 - x},80)`;
        ctx.fillRect(x, 0, 4, 32);
      }
      const blob = await c.convertToBlob({ type: 'image/webp', quality: 0.8 });
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    }),
  );
  const cases: { kind: string; b64: string; label: string }[] = [];
  for (const s of [...sources(), { kind: 'webp', bytes: webp, count: WEBP_CASES }]) {
    cases.push({ kind: s.kind, b64: Buffer.from(s.bytes).toString('base64'), label: `${s.kind} original` });
    for (let i = 0; i < s.count; i++) {
      const m = mutate(s.bytes, 77_000 + i);
      cases.push({ kind: s.kind, b64: Buffer.from(m.bytes).toString('base64'), label: `${s.kind} ${m.mutation} seed ${m.seed}` });
    }
  }

  const result = await page.evaluate(
    async ({ url, cases, limit }) => {
      let worker = new Worker(url, { type: 'module' });
      const outcomes: Record<string, number> = {};
      const bad: string[] = [];
      let slowest = 0;
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i]!;
        const bin = atob(c.b64);
        const bytes = new Uint8Array(bin.length);
        for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
        const t0 = performance.now();
        const reply = await new Promise<{ ok: boolean; code?: string; image?: { pixels: { width: number } } } | 'hung' | string>(
          (resolve) => {
            const timer = setTimeout(() => resolve('hung'), limit);
            worker.onmessage = (e) => {
              clearTimeout(timer);
              resolve(e.data);
            };
            worker.onerror = (e) => {
              clearTimeout(timer);
              e.preventDefault();
              resolve(`worker error: ${e.message}`);
            };
            worker.postMessage({ id: i, bytes: bytes.buffer, name: `case-${i}`, opts: {} }, [bytes.buffer]);
          },
        );
        slowest = Math.max(slowest, performance.now() - t0);
        let key: string;
        if (typeof reply === 'string') {
          bad.push(`${c.label}: ${reply}`);
          key = reply === 'hung' ? 'hung' : 'crashed';
          worker.terminate();
          worker = new Worker(url, { type: 'module' });
        } else if (reply.ok) key = reply.image && reply.image.pixels.width > 0 ? 'decoded' : 'empty-image';
        else key = reply.code ?? 'no-code';
        if (key === 'empty-image' || key === 'no-code') bad.push(`${c.label}: ${key}`);
        outcomes[`${c.kind}:${key}`] = (outcomes[`${c.kind}:${key}`] ?? 0) + 1;
      }
      worker.terminate();
      return { outcomes, bad, slowest };
    },
    { url: workerAsset(), cases, limit: CASE_LIMIT_MS },
  );

  const total = Object.values(result.outcomes).reduce((a, b) => a + b, 0);
  console.log(`browser fuzz: ${total} cases, slowest ${Math.round(result.slowest)} ms`, result.outcomes);
  expect(total).toBe(cases.length);
  expect(result.bad).toEqual([]);
  // The unmutated originals decode.
  for (const k of ['bmp', 'png', 'jpeg', 'webp', 'dicom-jpeg']) expect(result.outcomes[`${k}:decoded`] ?? 0).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});

test('fuzz through the upload input: each file shows an image or a readable error', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('./?models=/__fixtures__/none.json');
  const src = sources();
  const slot = page.getByTestId('slot-bmode');
  for (let i = 0; i < 24; i++) {
    const s = src[i % src.length]!;
    const m = mutate(s.bytes, 99_000 + i);
    const name = `fuzz-${i}.${s.kind === 'png' ? 'png' : s.kind === 'jpeg' ? 'jpg' : 'dcm'}`;
    await upload(page, 'bmode', name, Buffer.from(m.bytes));
    // Either the new file's error names it, or its image is shown under its name.
    await expect(
      slot
        .getByTestId('error')
        .filter({ hasText: name })
        .or(slot.getByText(name, { exact: true })),
    ).toBeVisible();
  }
  expect(errors).toEqual([]);
});

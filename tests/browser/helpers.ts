import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { expect, type Page } from '@playwright/test';
import { createRng } from '../../src/phantoms/rng';

export const MODALITIES = ['bmode', 'cdfi', 'elastography'] as const;
export type Modality = (typeof MODALITIES)[number];
export const CLASSES = ['metastatic', 'lymphoma', 'benign'] as const;

export const FIXTURE_INDEX = '/__fixtures__/models/index.json';

/**
 * A speckled grayscale image with a dark oval "node"; `colour` adds a colour-coded region the way
 * Doppler or elastography images have one.
 */
export function ultrasoundLikePng(width: number, height: number, seed: number, colour: 'none' | 'doppler' | 'strain'): Buffer {
  const rng = createRng(seed);
  const r = () => rng.next();
  const png = new PNG({ width, height });
  const cx = width * (0.4 + 0.2 * r()),
    cy = height * (0.4 + 0.2 * r());
  const ax = width * 0.2,
    ay = height * 0.12;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2;
      const base = d < 1 ? 50 : 120;
      const g = Math.max(0, Math.min(255, base * -Math.log(r() + 1e-6) * 0.7));
      let px = [g, g, g];
      if (colour === 'doppler' && d < 1.2 && Math.abs(Math.sin(x / 6 + y / 9)) > 0.85)
        px = r() > 0.5 ? [220, 30, 30] : [30, 60, 220];
      if (colour === 'strain' && d < 2.5) px = d < 1 ? [30, 40, 200 + 40 * r()] : [40, 190 + 50 * r(), 60];
      png.data.set([px[0]!, px[1]!, px[2]!, 255], (y * width + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

export function modalityImage(m: Modality, seed = 1): Buffer {
  return ultrasoundLikePng(320, 240, seed, m === 'bmode' ? 'none' : m === 'cdfi' ? 'doppler' : 'strain');
}

/** A valid, highly compressible grayscale PNG of any size, written directly (no pixel buffer in JS). */
export function hugeGrayPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grayscale
  const row = Buffer.alloc(width + 1, 90);
  row[0] = 0;
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 1 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function openApp(page: Page, opts: { backend?: string; models?: string } = {}): Promise<void> {
  const backend = opts.backend ?? 'wasm';
  await page.addInitScript((b) => {
    try {
      localStorage.setItem('lymphscope.backend', b);
    } catch {
      // ignore
    }
  }, backend);
  await page.goto(`./?models=${encodeURIComponent(opts.models ?? FIXTURE_INDEX)}`);
  if (backend !== 'none') await expect(page.getByTestId('backend')).not.toHaveText('—', { timeout: 120_000 });
}

export async function upload(page: Page, m: Modality, name: string, buffer: Buffer, mimeType = 'image/png'): Promise<void> {
  await page.getByTestId(`upload-${m}`).setInputFiles({ name, mimeType, buffer });
}

export async function uploadAll(page: Page, seed = 1): Promise<void> {
  for (const m of MODALITIES) {
    await upload(page, m, `${m}.png`, modalityImage(m, seed));
    await expect(page.getByTestId(`slot-${m}`).getByTestId('roi-canvas')).toBeVisible();
  }
}

export async function analyze(page: Page): Promise<void> {
  const button = page.getByTestId('analyze');
  await expect(button).toBeEnabled();
  await button.click();
  await expect(button).toHaveText(/Analyse$/, { timeout: 170_000 });
}

/** Probabilities shown for one modality (or "fused"), read from the data-value attribute. */
export async function probabilities(page: Page, key: string): Promise<number[]> {
  const out: number[] = [];
  for (const c of CLASSES) out.push(Number(await page.getByTestId(`prob-${key}-${c}`).getAttribute('data-value')));
  return out;
}

/** Standard deviation of a canvas's pixel values: a blank or flat heatmap has none. */
export async function canvasSpread(page: Page, testId: string): Promise<number> {
  return page.getByTestId(testId).evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let s = 0,
      s2 = 0;
    for (let i = 0; i < d.length; i += 4) {
      const v = d[i]! + d[i + 1]! + d[i + 2]!;
      s += v;
      s2 += v * v;
    }
    const n = d.length / 4;
    return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
  });
}

/** The backend panel's line for the app's WASM convolution kernels on `threads` threads. */
export function wasmKernelsText(threads: number): string {
  return `LymphScope convolution kernels, ${threads} thread${threads === 1 ? '' : 's'}`;
}

/** The page is cross-origin isolated and the app's WASM kernels run on every core (tfjs's limit: 8). */
export async function expectKernelsOnEveryCore(page: Page): Promise<void> {
  const { isolated, cores } = await page.evaluate(() => ({
    isolated: crossOriginIsolated,
    cores: Math.min(8, navigator.hardwareConcurrency),
  }));
  expect(isolated).toBe(true);
  await expect(page.getByTestId('wasm-kernels')).toHaveText(wasmKernelsText(cores));
}

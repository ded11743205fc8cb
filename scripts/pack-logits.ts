/**
 * Loads a model pack from disk with TF.js exactly as the app does (manifest validation, size and
 * SHA-256 of every file via src/model-pack, Pillow-exact preprocessing via src/imaging) and prints
 * logits as JSON. Used by the Python parity tests, the `import` command's verification and the
 * model-pack unit test.
 *
 *   npx tsx scripts/pack-logits.ts <pack>/manifest.json [--modality bmode] [image.png|image.jpg ...]
 *   npx tsx scripts/pack-logits.ts <pack>/manifest.json --golden   # check golden.json, exit 1 on mismatch
 */

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadPack, loadPackFile, type FetchLike, type LoadedPack } from '../src/model-pack/loader';
import { packModalities, type Modality } from '../src/model-pack/manifest';
import { preprocess } from '../src/imaging/preprocess';

/** Reads pack files from disk through the same interface the app's fetch uses. */
export const fileFetch: FetchLike = async (url) => {
  try {
    const buf = await readFile(fileURLToPath(url));
    return { ok: true, status: 200, arrayBuffer: async () => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) };
  } catch {
    return { ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) };
  }
};

/** The wasm backend is ~10× faster than pure-JS cpu for a ResNet at 224; cpu is the fallback. */
export async function initBackend(): Promise<string> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return 'wasm';
    }
  } catch {
    // fall through to cpu
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

export function manifestUrl(path: string): string {
  return pathToFileURL(resolve(path)).toString();
}

export async function loadPackFromDisk(manifestPath: string): Promise<LoadedPack> {
  return loadPack(manifestUrl(manifestPath), { fetchFn: fileFetch });
}

export async function buildModel(pack: LoadedPack, modality: Modality): Promise<tf.LayersModel> {
  const files = pack.models[modality];
  if (!files) throw new Error(`pack has no ${modality} model`);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: files.topology, weightSpecs: files.weightSpecs, weightData: files.weightData }),
  );
}

export function decodePng(bytes: ArrayBuffer | Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = PNG.sync.read(Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
}

/**
 * RGBA pixels of a PNG or JPEG, told apart by their signature (not the file name). Packs store golden
 * inputs as PNG (the training exporter converts every format), so JPEG here serves ad-hoc images; a
 * JPEG's pixels depend on the decoder (jpeg-js here, the browser's in the app) by a few levels.
 */
export function decodeImage(bytes: ArrayBuffer | Uint8Array): { width: number; height: number; data: Uint8Array } {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return decodePng(b);
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    const img = jpeg.decode(b, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error('unsupported image format: this checker reads PNG and JPEG (convert BMP or WebP to PNG)');
}

/** Logits for one PNG or JPEG, preprocessed as the modality's `input` spec says. */
export function logitsFor(
  pack: LoadedPack,
  modality: Modality,
  model: tf.LayersModel,
  image: ArrayBuffer | Uint8Array,
): number[] {
  const spec = pack.manifest.modalities[modality]!.input;
  const x = preprocess(decodeImage(image), spec);
  return tf.tidy(() => {
    const out = model.predict(tf.tensor4d(x, [1, spec.height, spec.width, 3])) as tf.Tensor;
    return Array.from(out.dataSync());
  });
}

export interface GoldenCase {
  name: string;
  input: string;
  logits: number[];
}

export interface GoldenFile {
  tolerance: { abs: number; rel: number };
  cases: GoldenCase[];
}

export interface GoldenResult {
  modality: Modality;
  name: string;
  want: number[];
  got: number[];
  /** max over logits of |got − want| − (abs + rel·|want|); ≤ 0 means within tolerance. */
  excess: number;
}

/**
 * Reproduces every golden case of every modality of a loaded pack. `hooks` see each model after it
 * is built and before it is disposed (to run it with other kernels).
 */
export async function checkGolden(
  pack: LoadedPack,
  manifestPath: string,
  hooks: { built?(model: tf.LayersModel): void; disposing?(model: tf.LayersModel): void } = {},
): Promise<GoldenResult[]> {
  const url = manifestUrl(manifestPath);
  const results: GoldenResult[] = [];
  for (const m of packModalities(pack.manifest)) {
    const goldenPath = pack.manifest.modalities[m]!.golden;
    if (!goldenPath) continue;
    const golden = JSON.parse(
      new TextDecoder().decode(await loadPackFile(url, pack.manifest, goldenPath, fileFetch)),
    ) as GoldenFile;
    const model = await buildModel(pack, m);
    hooks.built?.(model);
    for (const c of golden.cases) {
      const got = logitsFor(pack, m, model, await loadPackFile(url, pack.manifest, c.input, fileFetch));
      const excess = Math.max(
        ...c.logits.map((w, i) => Math.abs(got[i]! - w) - (golden.tolerance.abs + golden.tolerance.rel * Math.abs(w))),
      );
      results.push({ modality: m, name: c.name, want: c.logits, got, excess });
    }
    hooks.disposing?.(model);
    model.dispose();
  }
  return results;
}

async function main(argv: string[]): Promise<number> {
  const [manifestPath, ...rest] = argv;
  if (!manifestPath) {
    console.error('usage: pack-logits.ts <manifest.json> [--golden] [--modality m] [image.png ...]');
    return 2;
  }
  const backend = await initBackend();
  const pack = await loadPackFromDisk(manifestPath);
  if (rest.includes('--golden')) {
    const results = await checkGolden(pack, manifestPath);
    console.log(JSON.stringify({ backend, golden: results }, null, 1));
    return results.every((r) => r.excess <= 0) ? 0 : 1;
  }
  const mi = rest.indexOf('--modality');
  const modalities = mi >= 0 ? [rest[mi + 1] as Modality] : packModalities(pack.manifest);
  const images = rest.filter((a, i) => !a.startsWith('--') && (mi < 0 || i !== mi + 1));
  const out: Record<string, Record<string, number[]>> = {};
  for (const m of modalities) {
    const model = await buildModel(pack, m);
    out[m] = {};
    for (const img of images) out[m][img] = logitsFor(pack, m, model, await readFile(img));
    model.dispose();
  }
  console.log(JSON.stringify({ backend, logits: out }));
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}

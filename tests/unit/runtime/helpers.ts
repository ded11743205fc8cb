/** Shared test plumbing: the fixture pack on disk and a fetch that reads it. */

import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeFixturePack } from '../../../scripts/make-fixture-pack';
import { fileFetch } from '../../../scripts/pack-logits';
import { loadPack, type FetchLike, type LoadedPack } from '../../../src/model-pack/loader';
import type { Manifest } from '../../../src/model-pack/manifest';
import { generateCase } from '../../../src/phantoms';

const GENERATED = resolve(dirname(fileURLToPath(import.meta.url)), '../../.generated/models');
const BUNDLED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../public/models/lymphscope-demo-r18');
const KERNELS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/runtime/conv');

/** The app's convolution kernel binaries, read from the source tree (conv/convolution.ts). */
export async function loadKernelsFromDisk(name: string): Promise<ArrayBuffer> {
  const bytes = await readFile(join(KERNELS, name));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Reads `file:` URLs from disk, answering 404 for missing files like a web server would. */
export const diskFetch: FetchLike = fileFetch;

let fixtureDir: Promise<string> | undefined;

/**
 * Directory of the fixture pack: the one `npm run fixtures` wrote, or (when the tests run on their
 * own) a private copy generated into a temp folder, so parallel test files never race on one tree.
 */
export function fixturePackDir(): Promise<string> {
  fixtureDir ??= (async () => {
    const shared = join(GENERATED, 'fixture-tiny');
    if (existsSync(join(shared, 'manifest.json'))) return shared;
    const out = await mkdtemp(join(tmpdir(), 'lymphscope-fixture-'));
    return (await makeFixturePack(out)).root;
  })();
  return fixtureDir;
}

export async function fixtureManifestUrl(): Promise<string> {
  return pathToFileURL(join(await fixturePackDir(), 'manifest.json')).href;
}

/** The fixture pack plus the bundled pack's node finder and crop convention (the classifiers stay tiny). */
export async function packWithFinder(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'lymphscope-finder-')), 'pack');
  await cp(await fixturePackDir(), dir, { recursive: true });
  await cp(join(BUNDLED, 'node-finder'), join(dir, 'node-finder'), { recursive: true });
  const bundled = JSON.parse(await readFile(join(BUNDLED, 'manifest.json'), 'utf8')) as Manifest;
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  manifest.nodeFinder = bundled.nodeFinder;
  manifest.crop = bundled.crop;
  manifest.files = [...manifest.files, ...bundled.files.filter((f) => f.path.startsWith('node-finder/'))];
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return pathToFileURL(join(dir, 'manifest.json')).href;
}

export async function loadFixturePack(): Promise<LoadedPack> {
  return loadPack(await fixtureManifestUrl(), { fetchFn: diskFetch });
}

/** Deterministic pseudo-random RGBA pixels (mulberry32), so failures reproduce. */
export function randomPixels(
  width: number,
  height: number,
  seed: number,
): { width: number; height: number; data: Uint8ClampedArray } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * 256);
  return { width, height, data };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A simulated B-mode screenshot (scanner chrome included) and the box of its node mask. */
export function phantomWithNode(seed: number) {
  const pc = generateCase({ seed, cls: 'metastatic' });
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < pc.masks.node.length; i++) {
    if (!pc.masks.node[i]) continue;
    const x = i % pc.maskWidth;
    const y = (i - x) / pc.maskWidth;
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
  }
  const img = pc.images.bmode;
  return {
    image: { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) },
    node: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
  };
}

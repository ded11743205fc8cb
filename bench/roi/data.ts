/**
 * Reads the public data sets from ../shared/data (never copied into the repository): BUSI images
 * with their lesion masks, DDTI crops with their nodule masks. Images come back as RGBA, masks as
 * 0/1 at the image's size.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { RgbaImage } from '../../src/imaging';
import { decodeGif } from './gif';

export const DATA_DIR = process.env.LYMPHSCOPE_DATA ?? join(import.meta.dirname, '../../../shared/data');

export interface MaskedImage {
  source: 'busi' | 'ddti';
  name: string;
  image: RgbaImage;
  /** 0/1, image size; null when the data set has no mask for it. */
  mask: Uint8Array | null;
}

export function dataAvailable(): boolean {
  return existsSync(join(DATA_DIR, 'busi/labels.csv')) && existsSync(join(DATA_DIR, 'ddti/labels.csv'));
}

function readPng(path: string): RgbaImage {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data) };
}

function csvRows(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
}

/** BUSI, every `every`-th image (labels.csv order). Normal images have no mask. */
export function* busi(every = 1): Generator<MaskedImage> {
  const rows = csvRows(join(DATA_DIR, 'busi/labels.csv'));
  for (let i = 0; i < rows.length; i += every) {
    const file = rows[i]![0]!;
    const image = readPng(join(DATA_DIR, 'busi', file));
    const maskPath = join(DATA_DIR, 'busi/masks', file);
    let mask: Uint8Array | null = null;
    if (existsSync(maskPath)) {
      const m = readPng(maskPath);
      mask = new Uint8Array(m.width * m.height);
      for (let p = 0; p < mask.length; p++) mask[p] = m.data[p * 4]! > 127 ? 1 : 0;
    }
    yield { source: 'busi', name: file, image, mask };
  }
}

export function* ddti(every = 1): Generator<MaskedImage> {
  const rows = csvRows(join(DATA_DIR, 'ddti/labels.csv'));
  for (let i = 0; i < rows.length; i += every) {
    const [file, maskFile] = rows[i]!;
    const image = readPng(join(DATA_DIR, 'ddti', file!));
    const g = decodeGif(readFileSync(join(DATA_DIR, 'ddti', maskFile!)));
    const mask = new Uint8Array(g.width * g.height);
    for (let p = 0; p < mask.length; p++) mask[p] = g.data[p]! > 127 ? 1 : 0;
    yield { source: 'ddti', name: file!, image, mask: g.width === image.width && g.height === image.height ? mask : null };
  }
}

/**
 * Writes small DICOM test files, one for each pixel format LymphScope reads, with the pixels each
 * must decode to. The unit and browser tests import `dicomFixtures()`; run the script to get the
 * files on disk too (tests/.generated/dicom/):
 *
 *   npx tsx scripts/make-dicom-fixtures.ts [outDir]
 *
 * The writer is deliberately tiny (Part 10 header, explicit or implicit VR little endian, defined
 * length sequences, encapsulated JPEG frames) so the fixtures do not depend on the reader under test.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import * as jpeg from 'jpeg-js';

export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DicomFixture {
  name: string;
  description: string;
  bytes: Uint8Array;
  /** Expected RGBA pixels of each frame. */
  frames: Rgba[];
  /** Largest per-channel difference allowed (YBR rounding; JPEG frames are compared to a reference decoder). */
  tolerance: number;
  /** True when the pixels come from a browser-decoded JPEG stream. */
  jpeg: boolean;
  pixelSpacingMm?: { x: number; y: number };
}

type Value = string | number[] | Uint8Array | Item[] | { fd: number[] } | { ul: number[] };
type Item = Elem[];
interface Elem {
  tag: [number, number];
  vr: string;
  value: Value;
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UT', 'UN', 'UC', 'UR']);
const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UI', 'UT', 'UC']);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u16(...v: number[]): Uint8Array {
  const b = new Uint8Array(v.length * 2);
  const d = new DataView(b.buffer);
  v.forEach((x, i) => d.setUint16(i * 2, x, true));
  return b;
}
function u32(...v: number[]): Uint8Array {
  const b = new Uint8Array(v.length * 4);
  const d = new DataView(b.buffer);
  v.forEach((x, i) => d.setUint32(i * 4, x, true));
  return b;
}

function valueBytes(vr: string, value: Value, explicit: boolean): Uint8Array {
  if (vr === 'SQ') {
    const items = (value as Item[]).map((item) => {
      const body = concat(item.map((e) => element(e, explicit)));
      return concat([u16(0xfffe, 0xe000), u32(body.length), body]);
    });
    return concat(items);
  }
  let b: Uint8Array;
  if (STRING_VRS.has(vr)) {
    b = new TextEncoder().encode(value as string);
    if (b.length % 2) b = concat([b, new Uint8Array([vr === 'UI' ? 0 : 0x20])]);
  } else if (vr === 'US' || vr === 'SS') b = u16(...(value as number[]));
  else if (vr === 'UL') b = u32(...(value as { ul: number[] }).ul);
  else if (vr === 'FD') {
    const v = (value as { fd: number[] }).fd;
    b = new Uint8Array(v.length * 8);
    v.forEach((x, i) => new DataView(b.buffer).setFloat64(i * 8, x, true));
  } else {
    b = value as Uint8Array;
    if (b.length % 2) b = concat([b, new Uint8Array([0])]);
  }
  return b;
}

function element(e: Elem, explicit: boolean): Uint8Array {
  const v = valueBytes(e.vr, e.value, explicit);
  const head = u16(e.tag[0], e.tag[1]);
  if (!explicit) return concat([head, u32(v.length), v]);
  const vr = new TextEncoder().encode(e.vr);
  if (LONG_VRS.has(e.vr)) return concat([head, vr, u16(0), u32(v.length), v]);
  return concat([head, vr, u16(v.length), v]);
}

/** Encapsulated pixel data: empty or filled basic offset table, one fragment per frame, delimiter. */
function encapsulated(frames: Uint8Array[], withOffsets: boolean): Uint8Array {
  const padded = frames.map((f) => (f.length % 2 ? concat([f, new Uint8Array([0])]) : f));
  const offsets: number[] = [];
  let at = 0;
  for (const f of padded) {
    offsets.push(at);
    at += 8 + f.length;
  }
  const bot = withOffsets ? u32(...offsets) : new Uint8Array(0);
  return concat([
    u16(0x7fe0, 0x0010),
    new TextEncoder().encode('OB'),
    u16(0),
    u32(0xffffffff),
    u16(0xfffe, 0xe000),
    u32(bot.length),
    bot,
    ...padded.map((f) => concat([u16(0xfffe, 0xe000), u32(f.length), f])),
    u16(0xfffe, 0xe0dd),
    u32(0),
  ]);
}

const TS = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpeg2000: '1.2.840.10008.1.2.4.91',
  rle: '1.2.840.10008.1.2.5',
  deflated: '1.2.840.10008.1.2.1.99',
  jpegLs: '1.2.840.10008.1.2.4.80',
};

/** Identifying attributes every fixture carries, so tests can check they never come out. */
export const FIXTURE_PATIENT = { name: 'DOE^JANE', id: 'PID-0042-XYZ', institution: 'General Hospital Ward 7' };

function file(opts: {
  transferSyntax: string;
  multiFrame?: boolean;
  dataset: Elem[];
  pixelData: Uint8Array | { encapsulated: Uint8Array[] };
  pixelVr?: 'OB' | 'OW';
}): Uint8Array {
  const sopClass = opts.multiFrame ? '1.2.840.10008.5.1.4.1.1.3.1' : '1.2.840.10008.5.1.4.1.1.6.1';
  const meta = concat(
    [
      { tag: [2, 1], vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: [2, 2], vr: 'UI', value: sopClass },
      { tag: [2, 3], vr: 'UI', value: '1.2.826.0.1.3680043.10.1234.1' },
      { tag: [2, 0x10], vr: 'UI', value: opts.transferSyntax },
      { tag: [2, 0x12], vr: 'UI', value: '1.2.826.0.1.3680043.10.1234' },
    ].map((e) => element(e as Elem, true)),
  );
  const explicit = opts.transferSyntax !== TS.implicit;
  const common: Elem[] = [
    { tag: [8, 0x16], vr: 'UI', value: sopClass },
    { tag: [8, 0x18], vr: 'UI', value: '1.2.826.0.1.3680043.10.1234.1' },
    { tag: [8, 0x20], vr: 'DA', value: '20240131' },
    { tag: [8, 0x60], vr: 'CS', value: 'US' },
    { tag: [8, 0x70], vr: 'LO', value: 'Fixture Scanner Co' },
    { tag: [8, 0x80], vr: 'LO', value: FIXTURE_PATIENT.institution },
    { tag: [8, 0x90], vr: 'PN', value: 'SMITH^JOHN^DR' },
    { tag: [0x10, 0x10], vr: 'PN', value: FIXTURE_PATIENT.name },
    { tag: [0x10, 0x20], vr: 'LO', value: FIXTURE_PATIENT.id },
    { tag: [0x10, 0x30], vr: 'DA', value: '19700101' },
  ];
  const all = [...common, ...opts.dataset].sort((a, b) => a.tag[0] - b.tag[0] || a.tag[1] - b.tag[1]);
  const body = concat(all.map((e) => element(e, explicit)));
  const pixels =
    opts.pixelData instanceof Uint8Array
      ? element({ tag: [0x7fe0, 0x10], vr: opts.pixelVr ?? 'OB', value: opts.pixelData }, explicit)
      : encapsulated(opts.pixelData.encapsulated, opts.pixelData.encapsulated.length > 1);
  const groupLength = element({ tag: [2, 0], vr: 'UL', value: { ul: [meta.length] } }, true);
  const dataSet = concat([body, pixels]);
  const stored = opts.transferSyntax === TS.deflated ? new Uint8Array(deflateRawSync(dataSet)) : dataSet;
  return concat([new Uint8Array(128), new TextEncoder().encode('DICM'), groupLength, meta, stored]);
}

function imageAttrs(w: number, h: number, photometric: string, spp: number, bits = 8, extra: Elem[] = []): Elem[] {
  return [
    { tag: [0x28, 0x2], vr: 'US', value: [spp] },
    { tag: [0x28, 0x4], vr: 'CS', value: photometric },
    { tag: [0x28, 0x10], vr: 'US', value: [h] },
    { tag: [0x28, 0x11], vr: 'US', value: [w] },
    { tag: [0x28, 0x100], vr: 'US', value: [bits] },
    { tag: [0x28, 0x101], vr: 'US', value: [bits === 16 ? 12 : bits] },
    { tag: [0x28, 0x102], vr: 'US', value: [bits === 16 ? 11 : bits - 1] },
    { tag: [0x28, 0x103], vr: 'US', value: [0] },
    ...extra,
  ];
}

function rgbaFrom(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Rgba {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      data.set([r, g, b, 255], (y * w + x) * 4);
    }
  return { width: w, height: h, data };
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
function rgbToYbr(r: number, g: number, b: number): [number, number, number] {
  return [
    clamp(0.299 * r + 0.587 * g + 0.114 * b),
    clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128),
    clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128),
  ];
}

const W = 48;
const H = 36;
const gray = (k = 0) =>
  rgbaFrom(W, H, (x, y) => {
    const v = (x * 5 + y * 3 + k * 40) & 255;
    return [v, v, v];
  });
// Colours kept moderate so YBR round trips stay within a unit or two.
const colourImg = rgbaFrom(W, H, (x, y) => [40 + x * 4, 30 + y * 5, 200 - x * 2 - y]);
// Constant across horizontal pixel pairs, as 4:2:2 chroma subsampling can represent exactly.
const pairImg = rgbaFrom(W, H, (x, y) => [40 + (x >> 1) * 8, 30 + y * 5, 200 - (x >> 1) * 4 - y]);

function samples(img: Rgba, planar: boolean, fn: (r: number, g: number, b: number) => [number, number, number]): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = fn(img.data[i * 4]!, img.data[i * 4 + 1]!, img.data[i * 4 + 2]!);
    for (let k = 0; k < 3; k++) out[planar ? k * n + i : i * 3 + k] = c[k]!;
  }
  return out;
}

function ybr422(img: Rgba, planar: boolean): Uint8Array {
  const { width: w, height: h } = img;
  const n = w * h;
  const out = new Uint8Array(n * 2);
  const half = w / 2;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x += 2) {
      const i = y * w + x;
      const a = rgbToYbr(img.data[i * 4]!, img.data[i * 4 + 1]!, img.data[i * 4 + 2]!);
      const b = rgbToYbr(img.data[i * 4 + 4]!, img.data[i * 4 + 5]!, img.data[i * 4 + 6]!);
      const cb = Math.round((a[1] + b[1]) / 2);
      const cr = Math.round((a[2] + b[2]) / 2);
      if (planar) {
        out[i] = a[0];
        out[i + 1] = b[0];
        out[n + y * half + x / 2] = cb;
        out[n + half * h + y * half + x / 2] = cr;
      } else out.set([a[0], b[0], cb, cr], i * 2);
    }
  return out;
}

/** PackBits: runs of 3+ equal bytes as repeat packets, the rest as literal packets. */
function packBits(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < src.length) {
    let run = 1;
    while (i + run < src.length && run < 128 && src[i + run] === src[i]) run++;
    if (run >= 3) {
      out.push(257 - run, src[i]!);
      i += run;
      continue;
    }
    const start = i;
    while (i < src.length && i - start < 128) {
      if (i + 2 < src.length && src[i] === src[i + 1] && src[i] === src[i + 2]) break;
      i++;
    }
    out.push(i - start - 1, ...src.subarray(start, i));
  }
  return new Uint8Array(out);
}

/** One RLE Lossless frame: header with segment offsets, then one PackBits segment per plane. */
function rleFrame(planes: Uint8Array[]): Uint8Array {
  const segs = planes.map((p) => {
    const e = packBits(p);
    return e.length % 2 ? concat([e, new Uint8Array([0x80])]) : e;
  });
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, segs.length, true);
  let at = 64;
  segs.forEach((seg, k) => {
    dv.setUint32(4 + 4 * k, at, true);
    at += seg.length;
  });
  return concat([header, ...segs]);
}

function grayBytes(img: Rgba): Uint8Array {
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i * 4]!;
  return out;
}

function smoothPhoto(k: number): Rgba {
  return rgbaFrom(W * 2, H * 2, (x, y) => [
    clamp(128 + 90 * Math.sin(x / 14 + k)),
    clamp(128 + 80 * Math.cos(y / 11 - k)),
    clamp(100 + x + y - 40 * k),
  ]);
}

function jpegOf(img: Rgba): { bytes: Uint8Array; decoded: Rgba } {
  const enc = jpeg.encode({ data: Buffer.from(img.data), width: img.width, height: img.height }, 92);
  const bytes = new Uint8Array(enc.data);
  const dec = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { bytes, decoded: { width: dec.width, height: dec.height, data: dec.data } };
}

function paletteFixture(): DicomFixture {
  const idx = (x: number, y: number) => (x * 3 + y * 7) & 255;
  const lut = (f: (i: number) => number) => {
    const b = new Uint8Array(512);
    for (let i = 0; i < 256; i++) {
      const v = f(i);
      b[i * 2] = v;
      b[i * 2 + 1] = v; // 16-bit entries: v * 257, whose high byte is v
    }
    return b;
  };
  const fr = (i: number) => i,
    fg = (i: number) => 255 - i,
    fb = (i: number) => (i * 7) & 255;
  const indices = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) indices[y * W + x] = idx(x, y);
  return {
    name: 'palette-colour.dcm',
    description: 'PALETTE COLOR, 8-bit indices, 16-bit lookup tables',
    bytes: file({
      transferSyntax: TS.explicit,
      dataset: imageAttrs(W, H, 'PALETTE COLOR', 1, 8, [
        { tag: [0x28, 0x1101], vr: 'US', value: [256, 0, 16] },
        { tag: [0x28, 0x1102], vr: 'US', value: [256, 0, 16] },
        { tag: [0x28, 0x1103], vr: 'US', value: [256, 0, 16] },
        { tag: [0x28, 0x1201], vr: 'OW', value: lut(fr) },
        { tag: [0x28, 0x1202], vr: 'OW', value: lut(fg) },
        { tag: [0x28, 0x1203], vr: 'OW', value: lut(fb) },
      ]),
      pixelData: indices,
    }),
    frames: [rgbaFrom(W, H, (x, y) => [fr(idx(x, y)), fg(idx(x, y)), fb(idx(x, y))])],
    tolerance: 0,
    jpeg: false,
  };
}

export type DicomElement = Elem;

/** An 8-bit MONOCHROME2 file of any size with extra attributes (browser tests build scanner-like frames). */
export function grayDicomFile(w: number, h: number, pixels: Uint8Array, extra: Elem[] = []): Uint8Array {
  return file({ transferSyntax: TS.explicit, dataset: imageAttrs(w, h, 'MONOCHROME2', 1, 8, extra), pixelData: pixels });
}

/** Every fixture, with the pixels it must decode to. Deterministic. */
export function dicomFixtures(): DicomFixture[] {
  const out: DicomFixture[] = [];
  const g = gray();
  out.push({
    name: 'mono2-explicit.dcm',
    description: 'MONOCHROME2 8-bit, explicit VR little endian, PixelSpacing',
    bytes: file({
      transferSyntax: TS.explicit,
      dataset: imageAttrs(W, H, 'MONOCHROME2', 1, 8, [{ tag: [0x28, 0x30], vr: 'DS', value: '0.25\\0.2' }]),
      pixelData: grayBytes(g),
    }),
    frames: [g],
    tolerance: 0,
    jpeg: false,
    pixelSpacingMm: { x: 0.2, y: 0.25 },
  });
  out.push({
    name: 'mono1-explicit.dcm',
    description: 'MONOCHROME1 8-bit (inverted grayscale)',
    bytes: file({
      transferSyntax: TS.explicit,
      dataset: imageAttrs(W, H, 'MONOCHROME1', 1),
      pixelData: grayBytes(g).map((v) => 255 - v),
    }),
    frames: [g],
    tolerance: 0,
    jpeg: false,
  });
  out.push({
    name: 'mono2-implicit',
    description: 'MONOCHROME2 8-bit, implicit VR little endian, no file extension',
    bytes: file({ transferSyntax: TS.implicit, dataset: imageAttrs(W, H, 'MONOCHROME2', 1), pixelData: grayBytes(g) }),
    frames: [g],
    tolerance: 0,
    jpeg: false,
  });
  out.push({
    name: 'mono2-deflated.dcm',
    description: 'MONOCHROME2 8-bit, Deflated Explicit VR Little Endian',
    bytes: file({ transferSyntax: TS.deflated, dataset: imageAttrs(W, H, 'MONOCHROME2', 1), pixelData: grayBytes(g) }),
    frames: [g],
    tolerance: 0,
    jpeg: false,
  });
  const usRegion: Elem = {
    tag: [0x18, 0x6011],
    vr: 'SQ',
    value: [
      [
        { tag: [0x18, 0x6012], vr: 'US', value: [1] },
        { tag: [0x18, 0x6014], vr: 'US', value: [1] },
        { tag: [0x18, 0x6018], vr: 'UL', value: { ul: [4] } },
        { tag: [0x18, 0x601a], vr: 'UL', value: { ul: [2] } },
        { tag: [0x18, 0x601c], vr: 'UL', value: { ul: [43] } },
        { tag: [0x18, 0x601e], vr: 'UL', value: { ul: [33] } },
        { tag: [0x18, 0x6024], vr: 'US', value: [3] },
        { tag: [0x18, 0x6026], vr: 'US', value: [3] },
        { tag: [0x18, 0x602c], vr: 'FD', value: { fd: [0.01] } },
        { tag: [0x18, 0x602e], vr: 'FD', value: { fd: [0.012] } },
      ],
    ],
  };
  for (const planar of [false, true]) {
    out.push({
      name: `rgb-${planar ? 'planar' : 'interleaved'}.dcm`,
      description: `RGB 8-bit, ${planar ? 'planar' : 'interleaved'}${planar ? '' : ', Sequence of Ultrasound Regions'}`,
      bytes: file({
        transferSyntax: TS.explicit,
        dataset: [
          ...imageAttrs(W, H, 'RGB', 3, 8, [{ tag: [0x28, 0x6], vr: 'US', value: [planar ? 1 : 0] }]),
          ...(planar ? [] : [usRegion]),
        ],
        pixelData: samples(colourImg, planar, (r, g2, b) => [r, g2, b]),
      }),
      frames: [colourImg],
      tolerance: 0,
      jpeg: false,
      ...(planar ? {} : { pixelSpacingMm: { x: 0.1, y: 0.12 } }),
    });
    out.push({
      name: `ybr-full-${planar ? 'planar' : 'interleaved'}.dcm`,
      description: `YBR_FULL 8-bit, ${planar ? 'planar' : 'interleaved'}`,
      bytes: file({
        transferSyntax: TS.explicit,
        dataset: imageAttrs(W, H, 'YBR_FULL', 3, 8, [{ tag: [0x28, 0x6], vr: 'US', value: [planar ? 1 : 0] }]),
        pixelData: samples(colourImg, planar, rgbToYbr),
      }),
      frames: [colourImg],
      tolerance: 2,
      jpeg: false,
    });
    out.push({
      name: `ybr-full-422-${planar ? 'planar' : 'interleaved'}.dcm`,
      description: `YBR_FULL_422 8-bit, ${planar ? 'planar' : 'interleaved'}`,
      bytes: file({
        transferSyntax: TS.explicit,
        dataset: imageAttrs(W, H, 'YBR_FULL_422', 3, 8, [{ tag: [0x28, 0x6], vr: 'US', value: [planar ? 1 : 0] }]),
        pixelData: ybr422(pairImg, planar),
      }),
      frames: [pairImg],
      tolerance: 2,
      jpeg: false,
    });
  }
  out.push(paletteFixture());
  // 12 bits stored in 16, displayed through the window: value v*16 maps back to v.
  const m16 = new Uint8Array(W * H * 2);
  for (let i = 0; i < W * H; i++) {
    const v = g.data[i * 4]! * 16;
    m16[i * 2] = v & 0xff;
    m16[i * 2 + 1] = v >> 8;
  }
  out.push({
    name: 'mono2-16bit-window.dcm',
    description: 'MONOCHROME2 12-in-16-bit with a VOI window',
    bytes: file({
      transferSyntax: TS.explicit,
      dataset: imageAttrs(W, H, 'MONOCHROME2', 1, 16, [
        { tag: [0x28, 0x1050], vr: 'DS', value: '2048' },
        { tag: [0x28, 0x1051], vr: 'DS', value: '4096' },
      ]),
      pixelData: m16,
      pixelVr: 'OW',
    }),
    frames: [g],
    tolerance: 1,
    jpeg: false,
  });
  // RLE Lossless: grayscale with long flat runs (like a black frame around the image), and RGB.
  const flat = rgbaFrom(W, H, (x, y) => {
    const v = x < 8 || y < 4 ? 0 : (x * 5 + y * 3) & 255;
    return [v, v, v];
  });
  out.push({
    name: 'rle-mono.dcm',
    description: 'RLE Lossless, MONOCHROME2 8-bit',
    bytes: file({
      transferSyntax: TS.rle,
      dataset: imageAttrs(W, H, 'MONOCHROME2', 1),
      pixelData: { encapsulated: [rleFrame([grayBytes(flat)])] },
    }),
    frames: [flat],
    tolerance: 0,
    jpeg: false,
  });
  const rgbPlanes = [0, 1, 2].map((c) => {
    const p = new Uint8Array(W * H);
    for (let i = 0; i < W * H; i++) p[i] = colourImg.data[i * 4 + c]!;
    return p;
  });
  out.push({
    name: 'rle-rgb.dcm',
    description: 'RLE Lossless, RGB 8-bit',
    bytes: file({
      transferSyntax: TS.rle,
      dataset: imageAttrs(W, H, 'RGB', 3, 8, [{ tag: [0x28, 0x6], vr: 'US', value: [1] }]),
      pixelData: { encapsulated: [rleFrame(rgbPlanes)] },
    }),
    frames: [colourImg],
    tolerance: 0,
    jpeg: false,
  });
  const cine = [0, 1, 2, 3].map((k) => gray(k));
  out.push({
    name: 'cine-4-frames.dcm',
    description: 'Multi-frame MONOCHROME2 (cine), 4 frames',
    bytes: file({
      transferSyntax: TS.explicit,
      multiFrame: true,
      dataset: imageAttrs(W, H, 'MONOCHROME2', 1, 8, [{ tag: [0x28, 0x8], vr: 'IS', value: '4' }]),
      pixelData: concat(cine.map(grayBytes)),
    }),
    frames: cine,
    tolerance: 0,
    jpeg: false,
  });
  const j1 = jpegOf(smoothPhoto(0));
  out.push({
    name: 'jpeg-baseline.dcm',
    description: 'JPEG baseline, one frame, YBR_FULL_422',
    bytes: file({
      transferSyntax: TS.jpegBaseline,
      dataset: imageAttrs(W * 2, H * 2, 'YBR_FULL_422', 3, 8),
      pixelData: { encapsulated: [j1.bytes] },
    }),
    frames: [j1.decoded],
    tolerance: 12,
    jpeg: true,
  });
  const jm = [jpegOf(smoothPhoto(0)), jpegOf(smoothPhoto(1.5))];
  out.push({
    name: 'jpeg-baseline-2-frames.dcm',
    description: 'JPEG baseline, two frames with a basic offset table',
    bytes: file({
      transferSyntax: TS.jpegBaseline,
      multiFrame: true,
      dataset: imageAttrs(W * 2, H * 2, 'YBR_FULL_422', 3, 8, [{ tag: [0x28, 0x8], vr: 'IS', value: '2' }]),
      pixelData: { encapsulated: jm.map((j) => j.bytes) },
    }),
    frames: jm.map((j) => j.decoded),
    tolerance: 12,
    jpeg: true,
  });
  return out;
}

/** Files in syntaxes LymphScope cannot show, to check the message names the syntax. */
export function unsupportedDicomFixtures(): { name: string; bytes: Uint8Array; syntax: string }[] {
  const frame = new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0, 0, 0, 0]);
  return [
    {
      name: 'jpeg2000.dcm',
      syntax: 'JPEG 2000',
      bytes: file({
        transferSyntax: TS.jpeg2000,
        dataset: imageAttrs(W, H, 'YBR_ICT', 3),
        pixelData: { encapsulated: [frame] },
      }),
    },
    {
      name: 'jpeg-ls.dcm',
      syntax: 'JPEG-LS Lossless',
      bytes: file({
        transferSyntax: TS.jpegLs,
        dataset: imageAttrs(W, H, 'MONOCHROME2', 1),
        pixelData: { encapsulated: [frame] },
      }),
    },
  ];
}

function main(): void {
  const dir = resolve(process.argv[2] ?? join('tests', '.generated', 'dicom'));
  mkdirSync(dir, { recursive: true });
  const all = [...dicomFixtures(), ...unsupportedDicomFixtures()];
  for (const f of all) writeFileSync(join(dir, f.name), f.bytes);
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify(
      dicomFixtures().map((f) => ({ name: f.name, description: f.description, frames: f.frames.length })),
      null,
      2,
    ),
  );
  console.log(`wrote ${all.length} DICOM files to ${dir}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();

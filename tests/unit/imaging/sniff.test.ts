import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { sniffImage } from '../../../src/imaging/sniff';
import { checkModalityFit } from '../../../src/imaging/plausibility';

function png(w: number, h: number, rgb: (x: number, y: number) => [number, number, number]): Uint8Array {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = rgb(x, y);
      p.data.set([r, g, b, 255], (y * w + x) * 4);
    }
  return new Uint8Array(PNG.sync.write(p));
}

describe('sniffing image bytes', () => {
  const good = png(40, 30, (x, y) => [x * 6, y * 8, 100]);

  it('identifies PNG and reads its size', () => {
    expect(sniffImage(good)).toEqual({ ok: true, kind: 'png', width: 40, height: 30 });
  });
  it('reports empty, PDF, text and unknown bytes', () => {
    expect(sniffImage(new Uint8Array())).toMatchObject({ ok: false, problem: 'empty' });
    expect(sniffImage(new TextEncoder().encode('%PDF-1.7\n...'))).toMatchObject({ ok: false, problem: 'pdf' });
    expect(sniffImage(new TextEncoder().encode('patient notes, not an image\n'))).toMatchObject({ ok: false, problem: 'text' });
    expect(sniffImage(new Uint8Array([0, 1, 2, 3, 250, 251, 252, 7, 8]))).toMatchObject({ ok: false, problem: 'unsupported' });
  });
  it('detects a truncated PNG and a truncated JPEG', () => {
    expect(sniffImage(good.subarray(0, good.length - 20))).toMatchObject({ ok: false, problem: 'truncated' });
    const jpegHead = new Uint8Array([
      0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xc0, 0, 11, 8, 0, 20, 0, 30, 1, 1, 0x11,
      0,
    ]);
    expect(sniffImage(jpegHead)).toMatchObject({ ok: false, problem: 'truncated' });
    const complete = new Uint8Array([...jpegHead, 0xff, 0xd9]);
    expect(sniffImage(complete)).toEqual({ ok: true, kind: 'jpeg', width: 30, height: 20 });
  });
  it('reads BMP and WebP sizes', () => {
    const bmp = new Uint8Array(58);
    bmp.set([0x42, 0x4d]);
    new DataView(bmp.buffer).setUint32(2, 58, true);
    new DataView(bmp.buffer).setUint32(14, 40, true);
    new DataView(bmp.buffer).setInt32(18, 12, true);
    new DataView(bmp.buffer).setInt32(22, -9, true);
    expect(sniffImage(bmp)).toEqual({ ok: true, kind: 'bmp', width: 12, height: 9 });
    const webp = new Uint8Array(30);
    webp.set(new TextEncoder().encode('RIFF'), 0);
    new DataView(webp.buffer).setUint32(4, 22, true);
    webp.set(new TextEncoder().encode('WEBPVP8X'), 8);
    webp.set([99, 0, 0, 49, 0, 0], 24);
    expect(sniffImage(webp)).toEqual({ ok: true, kind: 'webp', width: 100, height: 50 });
  });
});

describe('modality plausibility', () => {
  const gray = {
    width: 50,
    height: 50,
    data: new Uint8ClampedArray(50 * 50 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) % 200)),
  };
  const colour = { width: 50, height: 50, data: new Uint8ClampedArray(50 * 50 * 4).map((_, i) => [200, 30, 30, 255][i % 4]!) };
  it('warns on grayscale in colour slots and colour in the B-mode slot', () => {
    const g = { ...gray, data: gray.data.map((v, i) => (i % 4 === 3 ? 255 : gray.data[i - (i % 4)]!)) };
    expect(checkModalityFit(g, 'cdfi')).toBe('grayscale-in-colour-slot');
    expect(checkModalityFit(g, 'elastography')).toBe('grayscale-in-colour-slot');
    expect(checkModalityFit(g, 'bmode')).toBeNull();
    expect(checkModalityFit(colour, 'bmode')).toBe('colour-in-bmode-slot');
    expect(checkModalityFit(colour, 'cdfi')).toBeNull();
  });
});

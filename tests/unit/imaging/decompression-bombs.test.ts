/**
 * Decompression bombs: small files that declare huge images. The size is read from the container
 * before anything is decoded, and a file over the memory budget (or one whose size cannot be read)
 * is refused there. In Node there is no createImageBitmap, so a file that got past the checks would
 * fail with 'decode-failed' instead: the codes below prove the refusal happened before any decode.
 * The crafted files are built here, a few hundred bytes each.
 */
import { describe, expect, it } from 'vitest';
import * as jpeg from 'jpeg-js';
import { dicomFixtures } from '../../../scripts/make-dicom-fixtures';
import { checkDecodeBudget, decodeImageBytes, MAX_DECODE_BYTES } from '../../../src/imaging/decode';
import { dicomFrame, readDicom } from '../../../src/imaging/dicom';
import { ImageInputError } from '../../../src/imaging/errors';
import { jpegSize, sniffImage } from '../../../src/imaging/sniff';
import { be16, jpegFile, le32, pngFile, webpFile } from '../../fixtures/image-headers';

async function codeOf(bytes: Uint8Array, name = 'crafted'): Promise<string> {
  try {
    await decodeImageBytes(bytes, name);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageInputError);
    return (e as ImageInputError).code;
  }
  return 'decoded';
}

function bmpFile(w: number, h: number, headerSize = 40): Uint8Array {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  b.set([0x42, 0x4d]);
  v.setUint32(2, 64, true);
  v.setUint32(14, headerSize, true);
  v.setInt32(18, w, true);
  v.setInt32(22, h, true);
  return b;
}

describe('decompression bombs are refused before any decode', () => {
  it('states the budget: full-size RGBA within 512 MiB', () => {
    expect(MAX_DECODE_BYTES).toBe(512 * 1024 * 1024);
    expect(() => checkDecodeBudget(11585, 11585, 'x')).not.toThrow();
    expect(() => checkDecodeBudget(11586, 11586, 'x')).toThrow(ImageInputError);
    const err = (() => {
      try {
        checkDecodeBudget(23000, 23000, 'x');
      } catch (e) {
        return e as ImageInputError;
      }
      return null;
    })();
    expect(err?.code).toBe('over-budget');
    expect(err?.detail).toBe('23000×23000 pixels need 2018 MB; the limit is 512 MB');
  });

  it('JPEG: one junk byte before the frame header no longer hides its size', async () => {
    const bomb = jpegFile(23000, 23000, { junkAfterApp0: [0x00] });
    expect(sniffImage(bomb)).toEqual({ ok: true, kind: 'jpeg', width: 23000, height: 23000 });
    expect(await codeOf(bomb)).toBe('over-budget');
    // more junk, fill bytes, and a restart marker between segments: all skipped as libjpeg skips them
    expect(jpegSize(jpegFile(23000, 23000, { junkAfterApp0: [0x12, 0x34, 0xff, 0xff, 0xd0, 0x00] }))).toEqual({
      width: 23000,
      height: 23000,
    });
  });

  it('JPEG: no frame header, a zero height (DNL) or a damaged segment length is refused', async () => {
    expect(await codeOf(jpegFile(100, 100, { sof: false }))).toBe('no-size');
    expect(await codeOf(jpegFile(100, 0))).toBe('no-size');
    const damaged = jpegFile(100, 100);
    damaged.set([0, 1], 4); // APP0 length 1
    expect(await codeOf(damaged)).toBe('no-size');
  });

  it('JPEG: a second, larger frame header counts', async () => {
    expect(sniffImage(jpegFile(100, 100, { extraSof: [30000, 20] }))).toMatchObject({ width: 30000, height: 100 });
    expect(await codeOf(jpegFile(100, 100, { extraSof: [30000, 30000] }))).toBe('over-budget');
  });

  it('JPEG: a real encoder’s file still reads its size', () => {
    const data = new Uint8Array(64 * 48 * 4).fill(128);
    const real = new Uint8Array(jpeg.encode({ data, width: 64, height: 48 }, 80).data);
    expect(sniffImage(real)).toEqual({ ok: true, kind: 'jpeg', width: 64, height: 48 });
  });

  it('PNG: a 20000×20000 header within the old 400-megapixel limit is over the budget', async () => {
    expect(sniffImage(pngFile(20000, 20000))).toEqual({ ok: true, kind: 'png', width: 20000, height: 20000 });
    expect(await codeOf(pngFile(20000, 20000))).toBe('over-budget');
    expect(await codeOf(pngFile(0x7fffffff, 1))).toBe('over-budget');
  });

  it('BMP: 32-bit sizes (negative height = top-down) and unknown headers', async () => {
    expect(await codeOf(bmpFile(30000, -30000))).toBe('over-budget');
    expect(await codeOf(bmpFile(100, 100, 8))).toBe('no-size');
  });

  it('WebP: VP8X canvas, VP8 key frame and VP8L headers; anything else is refused', async () => {
    expect(await codeOf(webpFile('VP8X', [0, 0, 0, 0, ...le32(19999).slice(0, 3), ...le32(19999).slice(0, 3)]))).toBe(
      'over-budget',
    );
    const vp8 = (startCode: number[]) => webpFile('VP8 ', [0, 0, 0, ...startCode, 0xff, 0x3f, 0xff, 0x3f, 0, 0]);
    expect(sniffImage(vp8([0x9d, 0x01, 0x2a]))).toMatchObject({ width: 16383, height: 16383 });
    expect(await codeOf(vp8([0x9d, 0x01, 0x2a]))).toBe('over-budget');
    expect(await codeOf(vp8([0, 0, 0]))).toBe('no-size');
    const bits = 16383 | (16383 << 14);
    expect(await codeOf(webpFile('VP8L', [0x2f, ...le32(bits), 0, 0, 0]))).toBe('over-budget');
    expect(await codeOf(webpFile('VP8L', [0x00, ...le32(bits), 0, 0, 0]))).toBe('no-size');
    expect(await codeOf(webpFile('ALPH', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe('no-size');
  });

  it('DICOM: the JPEG frame’s own size is budgeted, not the Rows/Columns beside it', async () => {
    const f = dicomFixtures().find((x) => x.name === 'jpeg-baseline.dcm')!;
    const img = readDicom(f.bytes, f.name);
    const frame = dicomFrame(img, 0, f.name);
    if (frame.kind !== 'jpeg') throw new Error('expected a JPEG frame');
    expect(jpegSize(frame.bytes)).toEqual({ width: img.columns, height: img.rows });
    // Rewrite the frame header inside the file: the data set still says the small size.
    const bytes = f.bytes.slice();
    const at = bytes.findIndex((v, i) => v === 0xff && bytes[i + 1] === 0xc0);
    bytes.set([...be16(23000), ...be16(23000)], at + 5);
    expect(await codeOf(bytes, f.name)).toBe('over-budget');
  });
});

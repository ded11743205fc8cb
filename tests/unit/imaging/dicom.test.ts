import { describe, expect, it } from 'vitest';
import * as jpeg from 'jpeg-js';
import { dicomFixtures, FIXTURE_PATIENT, unsupportedDicomFixtures, type Rgba } from '../../../scripts/make-dicom-fixtures';
import { dicomFrame, inflateDeflatedDicom, isDicom, readDicom, stripIdentifying } from '../../../src/imaging/dicom';
import { ImageInputError } from '../../../src/imaging/errors';

function maxDiff(a: Rgba, b: { width: number; height: number; data: ArrayLike<number> }): number {
  expect([b.width, b.height]).toEqual([a.width, a.height]);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

function errorOf(fn: () => unknown): ImageInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageInputError);
    return e as ImageInputError;
  }
  throw new Error('expected an ImageInputError');
}

describe('DICOM fixtures decode to the expected pixels', () => {
  for (const f of dicomFixtures()) {
    it(`${f.name}: ${f.description}`, async () => {
      expect(isDicom(f.bytes)).toBe(true);
      const inflated = await inflateDeflatedDicom(f.bytes, f.name);
      expect(inflated !== undefined).toBe(f.name.includes('deflated'));
      const img = readDicom(f.bytes, f.name, { inflated });
      expect(img.frames).toBe(f.frames.length);
      f.frames.forEach((expected, k) => {
        const frame = dicomFrame(img, k, f.name);
        if (f.jpeg) {
          expect(frame.kind).toBe('jpeg');
          if (frame.kind !== 'jpeg') return;
          const dec = jpeg.decode(frame.bytes, { useTArray: true, formatAsRGBA: true });
          expect(maxDiff(expected, dec)).toBeLessThanOrEqual(f.tolerance);
        } else {
          expect(frame.kind).toBe('pixels');
          if (frame.kind !== 'pixels') return;
          expect(maxDiff(expected, frame.image)).toBeLessThanOrEqual(f.tolerance);
        }
      });
      if (f.pixelSpacingMm) {
        expect(img.pixelSpacingMm?.x).toBeCloseTo(f.pixelSpacingMm.x, 6);
        expect(img.pixelSpacingMm?.y).toBeCloseTo(f.pixelSpacingMm.y, 6);
      }
    });
  }

  it('reads the ultrasound region as the image area', () => {
    const f = dicomFixtures().find((x) => x.name === 'rgb-interleaved.dcm')!;
    const img = readDicom(f.bytes, f.name);
    expect(img.regions).toEqual([{ x: 4, y: 2, width: 40, height: 32 }]);
    expect(img.pixelSpacingMm?.source).toBe('UltrasoundRegion');
  });

  it('refuses a frame that does not exist', () => {
    const f = dicomFixtures().find((x) => x.name === 'cine-4-frames.dcm')!;
    const img = readDicom(f.bytes, f.name);
    expect(errorOf(() => dicomFrame(img, 4, f.name)).code).toBe('dicom-damaged');
  });
});

describe('DICOM privacy', () => {
  const f = dicomFixtures()[0]!;
  it('leaves identifying attributes out of the metadata by default', () => {
    const text = JSON.stringify(readDicom(f.bytes, f.name).metadata);
    for (const v of Object.values(FIXTURE_PATIENT)) expect(text).not.toContain(v);
    expect(text).toContain('Explicit VR Little Endian');
  });
  it('keeps them only on request, and strips them for export', () => {
    const m = readDicom(f.bytes, f.name, { keepIdentifying: true }).metadata;
    expect(m.identifying?.PatientName).toBe(FIXTURE_PATIENT.name);
    expect(m.identifying?.PatientID).toBe(FIXTURE_PATIENT.id);
    const exported = JSON.stringify(stripIdentifying(m));
    for (const v of Object.values(FIXTURE_PATIENT)) expect(exported).not.toContain(v);
  });
});

describe('DICOM errors', () => {
  for (const u of unsupportedDicomFixtures()) {
    it(`names the unsupported transfer syntax: ${u.syntax}`, () => {
      const e = errorOf(() => readDicom(u.bytes, u.name));
      expect(e.code).toBe('dicom-syntax');
      expect(e.detail).toContain(u.syntax);
    });
  }
  it('reports a file cut inside the pixel data as truncated', () => {
    const f = dicomFixtures()[0]!;
    const cut = f.bytes.subarray(0, f.bytes.length - 100);
    const e = errorOf(() => dicomFrame(readDicom(cut, 'cut.dcm'), 0, 'cut.dcm'));
    expect(['truncated', 'dicom-damaged']).toContain(e.code);
  });
  it('does not mistake other files for DICOM', () => {
    expect(isDicom(new Uint8Array(200))).toBe(false);
    expect(isDicom(new TextEncoder().encode('DICM'))).toBe(false);
  });
});

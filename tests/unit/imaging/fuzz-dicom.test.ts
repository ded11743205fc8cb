/**
 * Fuzz: mutated DICOM files (and PNG/JPEG headers through the sniffer) must end in pixels or an
 * ImageInputError with a message — never another exception, never a hang. PNG/JPEG pixel decoding
 * is the browser's and is fuzzed in tests/browser/fuzz.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { dicomFixtures } from '../../../scripts/make-dicom-fixtures';
import { dicomFrame, inflateDeflatedDicom, isDicom, readDicom } from '../../../src/imaging/dicom';
import { decodeImageBytes } from '../../../src/imaging/decode';
import { ImageInputError } from '../../../src/imaging/errors';
import { sniffImage } from '../../../src/imaging/sniff';
import { mutate } from './fuzz-mutations';

export const DICOM_CASES = 900;
const SNIFF_CASES = 300;

describe('fuzzing DICOM decoding', () => {
  it(`${DICOM_CASES} mutated DICOM files end in pixels or a clear error`, async () => {
    const sources = dicomFixtures().filter((f) => !f.jpeg || f.frames.length === 1);
    const outcomes: Record<string, number> = {};
    const started = performance.now();
    for (let i = 0; i < DICOM_CASES; i++) {
      const src = sources[i % sources.length]!;
      const m = mutate(src.bytes, 1000 + i);
      const t0 = performance.now();
      let outcome: string;
      try {
        if (!isDicom(m.bytes)) {
          // The preamble itself was hit: the general decoder must still answer clearly.
          await decodeImageBytes(m.bytes, 'case.dcm').catch((e: unknown) => {
            if (!(e instanceof ImageInputError)) throw e;
          });
          outcome = 'not-dicom';
        } else {
          const inflated = await inflateDeflatedDicom(m.bytes, 'case.dcm');
          const img = readDicom(m.bytes, 'case.dcm', { inflated });
          for (let k = 0; k < Math.min(img.frames, 4); k++) dicomFrame(img, k, 'case.dcm');
          outcome = 'decoded';
        }
      } catch (e) {
        if (!(e instanceof ImageInputError)) {
          throw new Error(`case ${i} (${src.name}, ${m.mutation}, seed ${m.seed}) threw ${String(e)}`);
        }
        expect(e.message.length).toBeGreaterThan(0);
        outcome = e.code;
      }
      expect(performance.now() - t0, `case ${i} took too long`).toBeLessThan(5000);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    console.log(`DICOM fuzz: ${DICOM_CASES} cases in ${Math.round(performance.now() - started)} ms`, outcomes);
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(DICOM_CASES);
  });

  it(`${SNIFF_CASES} mutated PNG and JPEG headers are identified or refused without throwing`, () => {
    const w = 40,
      h = 30;
    const png = new PNG({ width: w, height: h });
    for (let i = 0; i < w * h * 4; i++) png.data[i] = (i * 37) & 255;
    const sources = [
      new Uint8Array(PNG.sync.write(png)),
      new Uint8Array(jpeg.encode({ data: Buffer.from(png.data), width: w, height: h }, 80).data),
    ];
    for (let i = 0; i < SNIFF_CASES; i++) {
      const m = mutate(sources[i % 2]!, 5000 + i);
      const r = sniffImage(m.bytes);
      expect(typeof r.ok).toBe('boolean');
    }
  });
});

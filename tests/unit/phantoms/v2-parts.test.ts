import { describe, expect, it } from 'vitest';
import { createImage, createRng, jpegRoundTrip, sampleParamsV2 } from '../../../src/phantoms';
import { strainScaleColour } from '../../../src/phantoms/v2/elasto';
import { quantTable } from '../../../src/phantoms/v2/jpeg';
import { beamGeometry, beamToWorld, LINES, SAMPLES, worldToBeam } from '../../../src/phantoms/v2/probe';

function noisyImage(seed: number): ReturnType<typeof createImage> {
  const img = createImage(64, 48);
  const rng = createRng(seed);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const o = (y * img.width + x) * 4;
      const g = 60 + 2 * x + y + 30 * rng.next();
      img.data[o] = g;
      img.data[o + 1] = g * 0.9;
      img.data[o + 2] = x > 32 ? 200 : g; // a colour edge, as on Doppler
    }
  }
  return img;
}

function meanAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) s += Math.abs(a[i + c]! - b[i + c]!);
    n += 3;
  }
  return s / n;
}

describe('JPEG re-encoding', () => {
  it('uses libjpeg quality scaling of the standard tables', () => {
    expect(quantTable([16, 11], 50)).toEqual(Float32Array.from([16, 11]));
    expect(quantTable([16, 11], 100)).toEqual(Float32Array.from([1, 1]));
    expect(quantTable([16, 11], 25)).toEqual(Float32Array.from([32, 22]));
  });

  it('loses more at lower quality, little at quality 95, and is deterministic', () => {
    const errors = [95, 75, 40].map((q) => {
      const img = noisyImage(3);
      const before = img.data.slice();
      jpegRoundTrip(img, q);
      return meanAbsError(before, img.data);
    });
    expect(errors[0]!).toBeLessThan(4);
    expect(errors[1]!).toBeGreaterThan(errors[0]!);
    expect(errors[2]!).toBeGreaterThan(errors[1]!);
    const a = noisyImage(3);
    const b = noisyImage(3);
    jpegRoundTrip(a, 60);
    jpegRoundTrip(b, 60);
    expect(a.data).toEqual(b.data);
  });

  it('keeps a flat screen flat (the background of a screenshot)', () => {
    const img = createImage(40, 24, [0, 0, 0]);
    jpegRoundTrip(img, 50);
    expect(Math.max(...img.data.filter((_, i) => i % 4 !== 3))).toBeLessThanOrEqual(1);
  });
});

describe('strain colour scales', () => {
  it('put red at the hard end only where the vendor does (t = 0 hardest)', () => {
    const hard = (s: Parameters<typeof strainScaleColour>[0]): [number, number, number] => strainScaleColour(s, 0);
    const soft = (s: Parameters<typeof strainScaleColour>[0]): [number, number, number] => strainScaleColour(s, 1);
    expect(hard('red-soft')[2]).toBeGreaterThan(hard('red-soft')[0]); // blue = hard
    expect(soft('red-soft')[0]).toBeGreaterThan(soft('red-soft')[2]); // red = soft
    expect(hard('red-hard')[0]).toBeGreaterThan(hard('red-hard')[2]); // red = hard
    expect(hard('grey-dark-hard')).toEqual([0, 0, 0]);
    expect(soft('grey-dark-hard')).toEqual([255, 255, 255]);
    const purple = hard('purple-hard');
    expect(purple[0]).toBeGreaterThan(purple[1]);
    expect(purple[2]).toBeGreaterThan(purple[1]);
  });
});

describe('beam geometry', () => {
  it('maps beam samples to the world and back, for linear and curvilinear probes', () => {
    const probes = new Set<string>();
    for (let seed = 1; seed < 30 && probes.size < 2; seed++) {
      const p = sampleParamsV2(seed, 'benign');
      if (probes.has(p.probe)) continue;
      probes.add(p.probe);
      const g = beamGeometry(p);
      for (const [l, j] of [
        [0, 0],
        [LINES - 1, SAMPLES - 1],
        [LINES / 2, SAMPLES / 3],
        [17.5, 201.25],
      ] as const) {
        const w = beamToWorld(g, l, j);
        const i = Math.round(j) * LINES + Math.round(l);
        if (Number.isInteger(l) && Number.isInteger(j)) {
          expect(g.x[i]).toBeCloseTo(w.x, 3);
          expect(g.z[i]).toBeCloseTo(w.z, 3);
        }
        const back = worldToBeam(g, w.x, w.z);
        expect(back.l).toBeCloseTo(l, 3);
        expect(back.j).toBeCloseTo(j, 3);
      }
      // Depth below the skin runs from 0 to the displayed depth on every line.
      expect(g.d[0]).toBeGreaterThan(0);
      expect(g.d[(SAMPLES - 1) * LINES]).toBeCloseTo(p.depthMm, 0);
    }
    expect(probes.size).toBe(2);
  });
});

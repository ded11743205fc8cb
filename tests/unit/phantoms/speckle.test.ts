import { describe, expect, it } from 'vitest';
import { createRng, speckleEnvelope } from '../../../src/phantoms';

describe('speckle', () => {
  it('is Rayleigh-distributed in a homogeneous region (envelope before compression)', () => {
    const width = 256;
    const height = 256;
    const amplitude = new Float32Array(width * height).fill(1);
    const psf = { axialSigma: 1.3, carrier: 0.18, lateralSigmaFocus: 3, lateralSpread: 0.01, focusRow: 128 };
    const env = speckleEnvelope(amplitude, width, height, psf, createRng(5));
    // Stay away from the borders, where the PSF runs off the field.
    const samples: number[] = [];
    for (let y = 20; y < height - 20; y++) for (let x = 20; x < width - 20; x++) samples.push(env[y * width + x]!);
    const n = samples.length;
    const mean = samples.reduce((a, b) => a + b, 0) / n;
    const meanSq = samples.reduce((a, b) => a + b * b, 0) / n;
    const sd = Math.sqrt(meanSq - mean * mean);
    // Unit-energy PSF: E|z|² equals the backscatter power.
    expect(meanSq).toBeGreaterThan(0.85);
    expect(meanSq).toBeLessThan(1.15);
    // Rayleigh: mean/sd = sqrt(pi / (4 - pi)) ≈ 1.913.
    expect(mean / sd).toBeGreaterThan(1.8);
    expect(mean / sd).toBeLessThan(2.03);
    // CDF against Rayleigh with the same second moment (Kolmogorov distance).
    samples.sort((a, b) => a - b);
    let ks = 0;
    for (let i = 0; i < n; i += 7) {
      const x = samples[i]!;
      ks = Math.max(ks, Math.abs((i + 1) / n - (1 - Math.exp(-(x * x) / meanSq))));
    }
    expect(ks).toBeLessThan(0.03);
  });
});

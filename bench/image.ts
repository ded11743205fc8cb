/**
 * The benchmark's test image: a deterministic 8-bit RGBA "ultrasound-like" crop (grey speckle, a
 * brighter oval, a colour patch). Shared by the bench page and bench/run.ts, so every engine sees
 * exactly the same pixels and its logits can be compared.
 */

export interface BenchImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export const BENCH_IMAGE_SIZE = { width: 320, height: 280 };

export function benchImage(seed = 7, { width, height } = BENCH_IMAGE_SIZE): BenchImage {
  let s = seed >>> 0 || 1;
  const rand = () => {
    // xorshift32: same numbers in every JavaScript engine.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const data = new Uint8ClampedArray(width * height * 4);
  const cx = width * 0.5;
  const cy = height * 0.55;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = ((x - cx) / (width * 0.3)) ** 2 + ((y - cy) / (height * 0.22)) ** 2 < 1;
      const base = inside ? 70 : 110 + 40 * Math.sin(y / 9);
      const v = base * (0.55 + 0.9 * rand());
      const i = (y * width + x) * 4;
      const flow = inside && x > cx && y < cy;
      data[i] = flow ? 200 : v;
      data[i + 1] = v;
      data[i + 2] = flow ? 40 : v;
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

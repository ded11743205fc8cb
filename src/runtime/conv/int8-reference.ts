/**
 * The int8 convolution of kernels.c (`q8_quantize` + `q8_pack_filter` + `q8_conv`) in plain
 * JavaScript, one float32 rounding per step as the kernels and training/export/int8.py do it, so
 * the three agree bit for bit. Used by the tests and by the install-time self-check (int8.ts).
 */

const f = Math.fround;

/** Round half to even, as WebAssembly's f32x4.nearest and numpy's rint. */
export function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface Int8ConvShape {
  /** Input height, width, channels (NHWC, batch 1). */
  h: number;
  w: number;
  cin: number;
  /** Filter height, width and output channels (HWIO). */
  kh: number;
  kw: number;
  cout: number;
  stride: number;
  /** Zero padding on every side. */
  pad: number;
  relu: boolean;
}

/** y = dequant(Σ x_q · w_q) + bias, ReLU if asked; x_q and w_q as the kernels quantize them. */
export function int8ConvReference(
  x: ArrayLike<number>,
  filter: ArrayLike<number>,
  bias: ArrayLike<number>,
  scale: number,
  s: Int8ConvShape,
): Float32Array {
  const inv = f(1 / scale);
  const hp = s.h + 2 * s.pad;
  const wp = s.w + 2 * s.pad;
  const xq = new Int32Array(hp * wp * s.cin);
  for (let y = 0; y < s.h; y++)
    for (let x0 = 0; x0 < s.w; x0++)
      for (let c = 0; c < s.cin; c++) {
        const v = rint(f(x[(y * s.w + x0) * s.cin + c]! * inv));
        xq[((y + s.pad) * wp + x0 + s.pad) * s.cin + c] = Math.min(127, Math.max(0, v));
      }
  const taps = s.kh * s.kw * s.cin;
  const wq = new Int32Array(taps * s.cout);
  const combined = new Float32Array(s.cout);
  for (let o = 0; o < s.cout; o++) {
    let m = 0;
    for (let i = 0; i < taps; i++) m = Math.max(m, Math.abs(filter[i * s.cout + o]!));
    const sw = f(m / 127);
    combined[o] = f(f(scale) * sw);
    for (let i = 0; i < taps; i++)
      wq[i * s.cout + o] = sw > 0 ? Math.min(127, Math.max(-127, rint(f(filter[i * s.cout + o]! / sw)))) : 0;
  }
  const oh = Math.floor((hp - s.kh) / s.stride) + 1;
  const ow = Math.floor((wp - s.kw) / s.stride) + 1;
  const out = new Float32Array(oh * ow * s.cout);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let o = 0; o < s.cout; o++) {
        let acc = 0;
        for (let ky = 0; ky < s.kh; ky++)
          for (let kx = 0; kx < s.kw; kx++)
            for (let c = 0; c < s.cin; c++)
              acc +=
                xq[((oy * s.stride + ky) * wp + ox * s.stride + kx) * s.cin + c]! *
                wq[((ky * s.kw + kx) * s.cin + c) * s.cout + o]!;
        let v = f(f(f(acc) * combined[o]!) + bias[o]!);
        if (s.relu) v = Math.max(v, 0);
        out[(oy * ow + ox) * s.cout + o] = v;
      }
  return out;
}

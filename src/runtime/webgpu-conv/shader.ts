/**
 * WGSL source of the app's WebGPU convolution: an implicit GEMM over NHWC input and HWIO filters
 * (tfjs's layouts, so no tensor is copied or transposed).
 *
 * The GEMM is out[m, n] = Σ_k A[m, k] · W[k, n] with m an output pixel (batch, row, column), n an
 * output channel and k = (filter row, filter column, input channel): W is the HWIO filter as it
 * lies in memory, A is gathered from the input on the fly (no im2col buffer). Each workgroup
 * computes a T × T block of the output (T pixels × T channels), each of its (T/4)² threads a 4 × 4
 * block held in registers; the K dimension goes through workgroup memory TK = 16 at a time. Bias
 * and ReLU are applied as the block is written, so a fused convolution is one dispatch.
 *
 * Shape, stride, padding and dilation are uniforms: one pipeline serves every convolution of a
 * variant, so a ResNet-18 needs a handful of pipelines instead of one per layer shape (fewer
 * shaders to compile at start-up). Pure strings: no tfjs, no GPU (tests read the source too).
 */

/**
 * `f32` everywhere; `f16`: operands rounded to half precision in workgroup memory and multiplied
 * in f16 (half the workgroup memory traffic, packed f16 arithmetic), accumulated in f32 (needs the
 * `shader-f16` feature); `f16-emulated`: the same rounding done with pack2x16float on f32 values,
 * so the f16 variant's arithmetic can be checked on an adapter without `shader-f16` (tests only).
 */
export type ConvPrecision = 'f32' | 'f16' | 'f16-emulated';

export interface ConvVariant {
  /** Output block per workgroup, T pixels × T channels: 64 (256 threads) or 32 (64 threads, small layers). */
  tile: 32 | 64;
  /** Input channels a multiple of 4: the input is read 4 channels at a time. */
  vecInput: boolean;
  bias: boolean;
  relu: boolean;
  precision: ConvPrecision;
}

/** K elements per step through workgroup memory. */
export const TILE_K = 16;

/** Binding numbers (layout "auto": only the bindings the variant uses exist). */
export const BINDING = { output: 0, input: 1, filter: 2, uniforms: 3, bias: 4 } as const;

export function variantKey(v: ConvVariant): string {
  return `conv-t${v.tile}-${v.vecInput ? 'v4' : 's'}-${v.bias ? 'b' : 'nb'}-${v.relu ? 'relu' : 'lin'}-${v.precision}`;
}

/**
 * The uniform block, 5 × vec4<i32> (80 bytes): input N,H,W,C; output N,OH,OW,C; filter
 * KH,KW,strideH,strideW; padTop,padLeft,dilationH,dilationW; M (output pixels), K, C/4, 0.
 */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  dilationHeight: number;
  dilationWidth: number;
}

export function uniformWords(g: ConvGeometry): Int32Array {
  const m = g.batch * g.outHeight * g.outWidth;
  const k = g.filterHeight * g.filterWidth * g.inChannels;
  return Int32Array.from([
    ...[g.batch, g.inHeight, g.inWidth, g.inChannels],
    ...[g.batch, g.outHeight, g.outWidth, g.outChannels],
    ...[g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth],
    ...[g.padTop, g.padLeft, g.dilationHeight, g.dilationWidth],
    ...[m, k, g.outChannels / 4, 0],
  ]);
}

/** Workgroups to dispatch: output channel blocks × pixel blocks. */
export function dispatchSize(g: ConvGeometry, tile: number): [number, number, number] {
  const m = g.batch * g.outHeight * g.outWidth;
  return [Math.ceil(g.outChannels / tile), Math.ceil(m / tile), 1];
}

/**
 * The smaller tile when the larger one would leave most of a GPU idle (the deep layers: 7 × 7
 * pixels, 512 channels make 8 workgroups of 64 × 64); 32 × 32 blocks give four times as many.
 */
export function tileFor(g: ConvGeometry): 32 | 64 {
  const [x, y] = dispatchSize(g, 64);
  return x * y < 128 ? 32 : 64;
}

export function convShader(v: ConvVariant): string {
  const T = v.tile;
  const T4 = T / 4;
  const threads = T4 * T4;
  const half = v.precision === 'f16';
  const emulated = v.precision === 'f16-emulated';
  // Scalar and vector types of the workgroup tiles, and how an f32 value enters them.
  const h = half ? 'f16' : 'f32';
  const h4 = `vec4<${h}>`;
  const toH = (e: string) => (half ? `f16(${e})` : emulated ? `round16(${e})` : e);
  const toH4 = (e: string) => (half ? `vec4<f16>(${e})` : emulated ? `round16x4(${e})` : e);
  // One product of the 4 × 4 block: f16 × f16 rounded to f16 (real or emulated), summed in f32.
  const product = (a: string, b: string) =>
    half ? `vec4<f32>(${a} * ${b})` : emulated ? `round16x4(${a} * ${b})` : `${a} * ${b}`;
  const aQuads = (T * TILE_K) / 4 / threads;
  const bVecs = (TILE_K * T4) / threads;

  const loadA = v.vecInput
    ? `
      let k0 = kt + kq * 4;
      var q = vec4<f32>(0.0);
      if (pixelOk && k0 < u.dims.y) {
        let ci = k0 % cin;
        let t = k0 / cin;
        let iy = iy0 + (t / u.filt.y) * u.pad.z;
        let ix = ix0 + (t % u.filt.y) * u.pad.w;
        if (iy >= 0 && iy < u.inShape.y && ix >= 0 && ix < u.inShape.z) {
          q = x[(((nb * u.inShape.y + iy) * u.inShape.z + ix) * cin + ci) / 4];
        }
      }`
    : `
      var q = vec4<f32>(0.0);
      for (var j = 0; j < 4; j++) {
        let k = kt + kq * 4 + j;
        if (pixelOk && k < u.dims.y) {
          let ci = k % cin;
          let t = k / cin;
          let iy = iy0 + (t / u.filt.y) * u.pad.z;
          let ix = ix0 + (t % u.filt.y) * u.pad.w;
          if (iy >= 0 && iy < u.inShape.y && ix >= 0 && ix < u.inShape.z) {
            q[j] = x[((nb * u.inShape.y + iy) * u.inShape.z + ix) * cin + ci];
          }
        }
      }`;

  return `${half ? 'enable f16;\n' : ''}
struct Uniforms {
  inShape : vec4<i32>,
  outShape : vec4<i32>,
  filt : vec4<i32>,
  pad : vec4<i32>,
  dims : vec4<i32>,
};

@group(0) @binding(${BINDING.output}) var<storage, read_write> y : array<vec4<f32>>;
@group(0) @binding(${BINDING.input}) var<storage, read> x : array<${v.vecInput ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(${BINDING.filter}) var<storage, read> w : array<vec4<f32>>;
@group(0) @binding(${BINDING.uniforms}) var<uniform> u : Uniforms;
${v.bias ? `@group(0) @binding(${BINDING.bias}) var<storage, read> b : array<vec4<f32>>;` : ''}

// As[k][i] holds output pixels 4i..4i+3 of the block at k; Bs[k][j] output channels 4j..4j+3.
var<workgroup> As : array<array<${h4}, ${T4}>, ${TILE_K}>;
var<workgroup> Bs : array<array<${h4}, ${T4}>, ${TILE_K}>;
${
  emulated
    ? `
fn round16(v : f32) -> f32 { return unpack2x16float(pack2x16float(vec2<f32>(v, 0.0))).x; }
fn round16x4(v : vec4<f32>) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(pack2x16float(v.xy)), unpack2x16float(pack2x16float(v.zw)));
}`
    : ''
}

@compute @workgroup_size(${threads}, 1, 1)
fn main(@builtin(local_invocation_index) li : u32, @builtin(workgroup_id) wg : vec3<u32>) {
  let lid = i32(li);
  let tx = lid % ${T4};
  let ty = lid / ${T4};
  let tileN4 = i32(wg.x) * ${T4};
  let tileM = i32(wg.y) * ${T};
  let cin = u.inShape.w;
  let c4 = u.dims.z;
  let pixels = u.outShape.y * u.outShape.z;
  var acc : array<vec4<f32>, 4>;

  for (var kt = 0; kt < u.dims.y; kt += ${TILE_K}) {
    // Gather A: ${aQuads} quad(s) of 4 consecutive k for one pixel per thread.
    for (var r = 0; r < ${aQuads}; r++) {
      let qi = lid + r * ${threads};
      let m = qi % ${T};
      let kq = qi / ${T};
      let gm = tileM + m;
      let pixelOk = gm < u.dims.x;
      let nb = gm / pixels;
      let rest = gm - nb * pixels;
      let oy = rest / u.outShape.z;
      let ox = rest - oy * u.outShape.z;
      let iy0 = oy * u.filt.z - u.pad.x;
      let ix0 = ox * u.filt.w - u.pad.y;${loadA}
      let mi = m / 4;
      let mc = m % 4;
      As[kq * 4][mi][mc] = ${toH('q.x')};
      As[kq * 4 + 1][mi][mc] = ${toH('q.y')};
      As[kq * 4 + 2][mi][mc] = ${toH('q.z')};
      As[kq * 4 + 3][mi][mc] = ${toH('q.w')};
    }
    // Load W: ${bVecs} vec4 of output channels per thread.
    for (var r = 0; r < ${bVecs}; r++) {
      let qi = lid + r * ${threads};
      let k = qi / ${T4};
      let n4 = qi % ${T4};
      let gk = kt + k;
      let gn4 = tileN4 + n4;
      var wv = vec4<f32>(0.0);
      if (gk < u.dims.y && gn4 < c4) {
        wv = w[gk * c4 + gn4];
      }
      Bs[k][n4] = ${toH4('wv')};
    }
    workgroupBarrier();
    for (var k = 0; k < ${TILE_K}; k++) {
      let a = As[k][ty];
      let bv = Bs[k][tx];
      acc[0] += ${product('a.x', 'bv')};
      acc[1] += ${product('a.y', 'bv')};
      acc[2] += ${product('a.z', 'bv')};
      acc[3] += ${product('a.w', 'bv')};
    }
    workgroupBarrier();
  }

  let gn4 = tileN4 + tx;
  if (gn4 >= c4) {
    return;
  }
  ${v.bias ? 'let bias = b[gn4];' : ''}
  for (var i = 0; i < 4; i++) {
    let gm = tileM + ty * 4 + i;
    if (gm < u.dims.x) {
      var o = acc[i]${v.bias ? ' + bias' : ''};
      ${v.relu ? 'o = max(o, vec4<f32>(0.0));' : ''}
      y[gm * c4 + gn4] = o;
    }
  }
}
`;
}

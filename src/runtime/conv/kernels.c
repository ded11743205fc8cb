/*
 * Convolution kernels for the tfjs wasm backend, NHWC float32:
 *   - 3×3 stride-1 "same" convolution by Winograd F(2×2, 3×3) (wino_*);
 *   - direct convolution without padding, any kernel size and stride (direct_*), for the other
 *     layers of a ResNet (the stem, the stride-2 3×3 layers behind their ZeroPadding, the 1×1
 *     shortcuts), so that one thread pool runs every convolution and no second pool competes
 *     with it for the cores.
 *
 * Why: XNNPACK in tfjs-backend-wasm computes these convolutions directly and already runs at about
 * three quarters of what 128-bit WebAssembly SIMD can do on one core; F(2×2, 3×3) needs 2.25× fewer
 * multiply-adds for the same result (16 products per 2×2 output tile instead of 36), which is the
 * only large saving left for ResNet-18's twelve 3×3 stride-1 layers.
 *
 * Built twice over: 128-bit SIMD (every browser with WebAssembly SIMD) and Relaxed SIMD (fused
 * multiply-add; scripts/build-kernels.mjs), each for a plain and a shared heap.
 *
 * The module owns no memory: it imports the tfjs module's linear memory and works on tensors in
 * place. So it must never use a data segment or the shadow stack (they would overwrite tfjs's
 * heap): everything lives in wasm locals, and `npm run build:kernels` checks the binary for both.
 *
 * Layouts (all sizes in floats):
 *   x     input  [H][W][Cin]
 *   w     filter [3][3][Cin][Cout] (HWIO, as tfjs stores it)
 *   u     transformed filter [16][Cout/8][Cin][8]
 *   p     packed filter of the direct kernel [Cout/8][KH][KW·Cin][8]
 *   y     output [H][W][Cout]
 *   work  per-thread scratch, wino_work_size(cin, cout) floats
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define CHUNK 32 /* output tiles per pass: the transformed inputs and products stay in L2 */

typedef v128_t f4;

static inline f4 ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, f4 v) { wasm_v128_store(p, v); }
static inline f4 add(f4 a, f4 b) { return wasm_f32x4_add(a, b); }
static inline f4 sub(f4 a, f4 b) { return wasm_f32x4_sub(a, b); }
static inline f4 mul(f4 a, f4 b) { return wasm_f32x4_mul(a, b); }

/*
 * acc + a·b, the only multiply in the hot loop (tile_4x8, under both kernels). Built with
 * -mrelaxed-simd (the kernels-relaxed*.wasm variants) it is one f32x4.relaxed_madd, which the
 * engine may compute fused where the CPU has FMA (one rounding instead of two: results differ from
 * the SIMD128 build in the last bits, see tests/unit/runtime/convolution-relaxed.test.ts) or as
 * multiply + add. Without the flag it is the plain multiply and add, and the
 * SIMD128 binaries stay byte-identical to what they were before this function existed.
 */
#ifdef __wasm_relaxed_simd__
static inline f4 madd(f4 a, f4 b, f4 acc) { return wasm_f32x4_relaxed_madd(a, b, acc); }
#else
static inline f4 madd(f4 a, f4 b, f4 acc) { return add(acc, mul(a, b)); }
#endif

EXPORT(wino_filter_size) int wino_filter_size(int cin, int cout) { return 16 * cin * cout; }

EXPORT(wino_work_size) int wino_work_size(int cin, int cout) { return 16 * CHUNK * (cin + cout) + cin; }

/* u = G g Gᵀ for every (input, output) channel pair; G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. */
EXPORT(wino_transform_filter)
void wino_transform_filter(const float *w, float *u, int cin, int cout) {
  const int ncb = cout / 8;
  for (int ci = 0; ci < cin; ci++) {
    for (int co = 0; co < cout; co++) {
#define G(ky, kx) w[(((ky) * 3 + (kx)) * cin + ci) * cout + co]
      float t0[3], t1[3], t2[3], t3[3];
      for (int kx = 0; kx < 3; kx++) {
        float g0 = G(0, kx), g1 = G(1, kx), g2 = G(2, kx);
        t0[kx] = g0;
        t1[kx] = 0.5f * (g0 + g1 + g2);
        t2[kx] = 0.5f * (g0 - g1 + g2);
        t3[kx] = g2;
      }
#undef G
      float *base = u + ((co / 8) * cin + ci) * 8 + (co % 8);
      const int plane = ncb * cin * 8;
#define ROW(r, t)                                                   \
  base[((r) * 4 + 0) * plane] = t[0];                               \
  base[((r) * 4 + 1) * plane] = 0.5f * (t[0] + t[1] + t[2]);        \
  base[((r) * 4 + 2) * plane] = 0.5f * (t[0] - t[1] + t[2]);        \
  base[((r) * 4 + 3) * plane] = t[2];
      ROW(0, t0) ROW(1, t1) ROW(2, t2) ROW(3, t3)
#undef ROW
    }
  }
}

/* v = Bᵀ d B for `n` tiles starting at tile `t0`, written as v[16][nPad][cin]. */
static void input_transform(const float *x, const float *zeros, float *v, int H, int W, int cin, int tilesW,
                            int t0, int n, int nPad) {
  const int plane = nPad * cin;
  for (int r = 0; r < nPad; r++) {
    float *out = v + r * cin;
    if (r >= n) {
      /* Rows that pad the chunk to the GEMM's 4-row blocks: zeros, never NaN or denormal garbage. */
      for (int m = 0; m < 16; m++)
        for (int c = 0; c < cin; c += 4) st(out + m * plane + c, wasm_f32x4_splat(0.0f));
      continue;
    }
    const int t = t0 + r, ty = t / tilesW, tx = t % tilesW;
    const float *p[16];
    for (int i = 0; i < 4; i++) {
      const int iy = 2 * ty - 1 + i;
      for (int j = 0; j < 4; j++) {
        const int ix = 2 * tx - 1 + j;
        p[i * 4 + j] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x + (iy * W + ix) * cin : zeros;
      }
    }
    for (int c = 0; c < cin; c += 4) {
      /* Rows first (d B), then columns (Bᵀ ·). Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]. */
      f4 a[4][4];
      for (int i = 0; i < 4; i++) {
        f4 d0 = ld(p[i * 4 + 0] + c), d1 = ld(p[i * 4 + 1] + c), d2 = ld(p[i * 4 + 2] + c), d3 = ld(p[i * 4 + 3] + c);
        a[i][0] = sub(d0, d2);
        a[i][1] = add(d1, d2);
        a[i][2] = sub(d2, d1);
        a[i][3] = sub(d1, d3);
      }
      for (int j = 0; j < 4; j++) {
        st(out + (0 * 4 + j) * plane + c, sub(a[0][j], a[2][j]));
        st(out + (1 * 4 + j) * plane + c, add(a[1][j], a[2][j]));
        st(out + (2 * 4 + j) * plane + c, sub(a[2][j], a[1][j]));
        st(out + (3 * 4 + j) * plane + c, sub(a[1][j], a[3][j]));
      }
    }
  }
}

/*
 * The register tile both kernels are built on: c[n ≤ 4][8] = bias + Σ over `taps` of a_r · b, where
 * row r of a starts at a_r + tap · tapStride and runs k floats, and b is packed 8 wide (k × 8 floats
 * per tap, taps one after the other). Eight accumulators stay in registers; rows past n may
 * repeat another row's pointer and are not stored. Inlined, so constant arguments fold away.
 */
static inline __attribute__((always_inline)) void tile_4x8(const float *a0, const float *a1, const float *a2,
                                                          const float *a3, int taps, int tapStride, const float *b,
                                                          int k, f4 bias0, f4 bias1, int relu, float *c, int ldc, int n) {
  f4 c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
  for (int tap = 0; tap < taps; tap++) {
    const float *r0 = a0 + tap * tapStride, *r1 = a1 + tap * tapStride;
    const float *r2 = a2 + tap * tapStride, *r3 = a3 + tap * tapStride;
    for (int i = 0; i < k; i++) {
      const f4 b0 = ld(b), b1 = ld(b + 4);
      b += 8;
      f4 s = wasm_v128_load32_splat(r0 + i);
      c00 = madd(s, b0, c00);
      c01 = madd(s, b1, c01);
      s = wasm_v128_load32_splat(r1 + i);
      c10 = madd(s, b0, c10);
      c11 = madd(s, b1, c11);
      s = wasm_v128_load32_splat(r2 + i);
      c20 = madd(s, b0, c20);
      c21 = madd(s, b1, c21);
      s = wasm_v128_load32_splat(r3 + i);
      c30 = madd(s, b0, c30);
      c31 = madd(s, b1, c31);
    }
  }
  if (relu) {
    const f4 zero = wasm_f32x4_splat(0.0f);
    c00 = wasm_f32x4_max(c00, zero);
    c01 = wasm_f32x4_max(c01, zero);
    c10 = wasm_f32x4_max(c10, zero);
    c11 = wasm_f32x4_max(c11, zero);
    c20 = wasm_f32x4_max(c20, zero);
    c21 = wasm_f32x4_max(c21, zero);
    c30 = wasm_f32x4_max(c30, zero);
    c31 = wasm_f32x4_max(c31, zero);
  }
  st(c, c00);
  st(c + 4, c01);
  if (n > 1) {
    st(c + ldc, c10);
    st(c + ldc + 4, c11);
  }
  if (n > 2) {
    st(c + 2 * ldc, c20);
    st(c + 2 * ldc + 4, c21);
  }
  if (n > 3) {
    st(c + 3 * ldc, c30);
    st(c + 3 * ldc + 4, c31);
  }
}

/* y = Aᵀ M A + bias (ReLU optional) for the chunk, output channels [co0, co0 + width). */
static void output_transform(const float *mm, const float *bias, float *y, int H, int W, int cout, int tilesW,
                             int t0, int n, int nPad, int co0, int width, int relu) {
  const int plane = nPad * width;
  const f4 zero = wasm_f32x4_splat(0.0f);
  for (int r = 0; r < n; r++) {
    const int t = t0 + r, ty = t / tilesW, tx = t % tilesW;
    const int oy = 2 * ty, ox = 2 * tx;
    const int hasRight = ox + 1 < W, hasBottom = oy + 1 < H;
    const float *in = mm + r * width;
    float *out = y + (oy * W + ox) * cout + co0;
    for (int c = 0; c < width; c += 4) {
      /* Aᵀ = [1 1 1 0; 0 1 −1 −1], applied to the 4 rows, then to the 4 columns of each. */
      f4 s0[4], s1[4];
      for (int j = 0; j < 4; j++) {
        f4 m0 = ld(in + (0 * 4 + j) * plane + c), m1 = ld(in + (1 * 4 + j) * plane + c);
        f4 m2 = ld(in + (2 * 4 + j) * plane + c), m3 = ld(in + (3 * 4 + j) * plane + c);
        s0[j] = add(add(m0, m1), m2);
        s1[j] = sub(sub(m1, m2), m3);
      }
      const f4 b = bias ? ld(bias + co0 + c) : zero;
      f4 y00 = add(add(add(s0[0], s0[1]), s0[2]), b);
      f4 y01 = add(sub(sub(s0[1], s0[2]), s0[3]), b);
      f4 y10 = add(add(add(s1[0], s1[1]), s1[2]), b);
      f4 y11 = add(sub(sub(s1[1], s1[2]), s1[3]), b);
      if (relu) {
        y00 = wasm_f32x4_max(y00, zero);
        y01 = wasm_f32x4_max(y01, zero);
        y10 = wasm_f32x4_max(y10, zero);
        y11 = wasm_f32x4_max(y11, zero);
      }
      st(out + c, y00);
      if (hasRight) st(out + cout + c, y01);
      if (hasBottom) {
        st(out + W * cout + c, y10);
        if (hasRight) st(out + W * cout + cout + c, y11);
      }
    }
  }
}

/*
 * One thread's share of a convolution: output tiles [tile0, tile1) × output channel blocks of 8
 * [cb0, cb1). Shares never overlap, so threads need no synchronisation inside a call.
 * cin must be a multiple of 4 and cout of 8 (the caller falls back to XNNPACK otherwise).
 */
EXPORT(wino_conv)
void wino_conv(const float *x, const float *u, const float *bias, float *y, float *work, int H, int W, int cin,
               int cout, int relu, int tile0, int tile1, int cb0, int cb1) {
  const int tilesW = (W + 1) / 2;
  const int ncb = cout / 8;
  const int width = (cb1 - cb0) * 8;
  float *v = work;
  float *mm = work + 16 * CHUNK * cin;
  float *zeros = mm + 16 * CHUNK * cout;
  const f4 zero = wasm_f32x4_splat(0.0f);
  for (int c = 0; c < cin; c += 4) st(zeros + c, zero);
  for (int t0 = tile0; t0 < tile1; t0 += CHUNK) {
    const int n = tile1 - t0 < CHUNK ? tile1 - t0 : CHUNK;
    const int nPad = (n + 3) & ~3;
    input_transform(x, zeros, v, H, W, cin, tilesW, t0, n, nPad);
    for (int m = 0; m < 16; m++) {
      const float *vm = v + m * nPad * cin;
      float *mmm = mm + m * nPad * width;
      for (int cb = cb0; cb < cb1; cb++) {
        const float *panel = u + ((m * ncb + cb) * cin) * 8;
        for (int r = 0; r < nPad; r += 4) {
          const float *a = vm + r * cin;
          tile_4x8(a, a + cin, a + 2 * cin, a + 3 * cin, 1, 0, panel, cin, zero, zero, 0,
                   mmm + r * width + (cb - cb0) * 8, width, 4);
        }
      }
    }
    output_transform(mm, bias, y, H, W, cout, tilesW, t0, n, nPad, cb0 * 8, width, relu);
  }
}

EXPORT(direct_filter_size) int direct_filter_size(int kh, int kw, int cin, int cout) { return kh * kw * cin * cout; }

/* HWIO → [Cout/8][KH][KW·Cin][8]: for one filter row the KW·Cin products of an output pixel read
 * contiguous input, and the 8 output channels of a block sit in two vectors. */
EXPORT(direct_pack_filter)
void direct_pack_filter(const float *w, float *p, int kh, int kw, int cin, int cout) {
  const int k = kw * cin;
  for (int cb = 0; cb < cout / 8; cb++)
    for (int ky = 0; ky < kh; ky++)
      for (int i = 0; i < k; i++)
        for (int j = 0; j < 8; j++) p[((cb * kh + ky) * k + i) * 8 + j] = w[(ky * k + i) * cout + cb * 8 + j];
}

/*
 * One thread's share of a direct convolution over an input the graph has already padded: output
 * pixels [pix0, pix1) (row-major over OH × OW) × output channel blocks [cb0, cb1).
 */
EXPORT(direct_conv)
void direct_conv(const float *x, const float *p, const float *bias, float *y, int W, int cin, int kh, int kw,
                 int stride, int OW, int cout, int relu, int pix0, int pix1, int cb0, int cb1) {
  const int k = kw * cin;
  const int rowStride = W * cin;
  const f4 zero = wasm_f32x4_splat(0.0f);
  for (int cb = cb0; cb < cb1; cb++) {
    const float *panel = p + cb * kh * k * 8;
    const f4 bias0 = bias ? ld(bias + cb * 8) : zero, bias1 = bias ? ld(bias + cb * 8 + 4) : zero;
    for (int pix = pix0; pix < pix1; pix += 4) {
      const int n = pix1 - pix < 4 ? pix1 - pix : 4;
      /* Rows past the end of the item repeat its first pixel; tile_4x8 does not store them. */
      const int q1 = n > 1 ? pix + 1 : pix, q2 = n > 2 ? pix + 2 : pix, q3 = n > 3 ? pix + 3 : pix;
      const float *r0 = x + ((pix / OW) * stride * W + (pix % OW) * stride) * cin;
      const float *r1 = x + ((q1 / OW) * stride * W + (q1 % OW) * stride) * cin;
      const float *r2 = x + ((q2 / OW) * stride * W + (q2 % OW) * stride) * cin;
      const float *r3 = x + ((q3 / OW) * stride * W + (q3 % OW) * stride) * cin;
      tile_4x8(r0, r1, r2, r3, kh, rowStride, panel, k, bias0, bias1, relu, y + pix * cout + cb * 8, cout, n);
    }
  }
}

#ifdef __wasm_relaxed_simd__
/*
 * Int8 compute (Relaxed SIMD builds only): i16x8.relaxed_dot_i8x16_i7x16_s multiplies 16 signed
 * 8-bit weights by 16 activations and adds them in pairs, i.e. four times the multiply-adds of an
 * f32x4 fused multiply-add per instruction. Its second operand is "i7": values 0…127 give the same
 * result on every engine, which is exactly what post-ReLU activations quantized to unsigned 7 bit
 * are. Weights are symmetric int8 per output
 * channel (−127…127), activations per tensor with the pack's calibrated scale; the int32 sums are
 * exact, and the dequantization is fused with bias and ReLU. The arithmetic is defined (and
 * emulated for the accuracy check) in training/export/int8.py; any change here must follow it.
 *
 * Layouts (sizes in bytes):
 *   xq  quantized input, padded: [H + 2·pad][W + 2·pad][Cin] uint8 (0…127)
 *   q   packed filter [Cout/8][KH][KW·Cin/4][8][4] int8, followed by Cout float32 scales s_x·s_w
 */
typedef signed char i8;
typedef unsigned char u8;

EXPORT(q8_filter_size) int q8_filter_size(int kh, int kw, int cin, int cout) { return kh * kw * cin * cout + 4 * cout; }

/* Per output channel: s_w = max|w| / 127, w_q = rint(w / s_w) clamped to ±127, scale = s_x · s_w. */
EXPORT(q8_pack_filter)
void q8_pack_filter(const float *w, i8 *q, int kh, int kw, int cin, int cout, float sx) {
  const int k = kw * cin, taps = kh * k;
  float *scale = (float *)(q + taps * cout);
  for (int co = 0; co < cout; co++) {
    float m = 0.0f;
    for (int i = 0; i < taps; i++) {
      const float a = __builtin_fabsf(w[i * cout + co]);
      m = a > m ? a : m;
    }
    const float sw = m / 127.0f;
    scale[co] = sx * sw;
    const int cb = co / 8, j = co % 8;
    for (int ky = 0; ky < kh; ky++)
      for (int i = 0; i < k; i++) {
        float v = sw > 0.0f ? __builtin_rintf(w[(ky * k + i) * cout + co] / sw) : 0.0f;
        v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
        q[(((cb * kh + ky) * (k / 4) + i / 4) * 8 + j) * 4 + i % 4] = (i8)(int)v;
      }
  }
}

/*
 * Rows [row0, row1) of the padded quantized input: x_q = min(127, rint(x · inv)) (negative values,
 * which a post-ReLU input never has, saturate to 0), the border zero. C must be a multiple of 16.
 */
EXPORT(q8_quantize)
void q8_quantize(const float *x, u8 *xq, int H, int W, int C, int pad, float inv, int row0, int row1) {
  const int Wp = W + 2 * pad;
  const f4 vinv = wasm_f32x4_splat(inv);
  const v128_t top = wasm_u8x16_splat(127), zero = wasm_i32x4_splat(0);
  for (int r = row0; r < row1; r++) {
    u8 *out = xq + r * Wp * C;
    const int iy = r - pad;
    if (iy < 0 || iy >= H) {
      for (int i = 0; i < Wp * C; i += 16) wasm_v128_store(out + i, zero);
      continue;
    }
    for (int i = 0; i < pad * C; i += 16) {
      wasm_v128_store(out + i, zero);
      wasm_v128_store(out + (Wp - pad) * C + i, zero);
    }
    const float *in = x + iy * W * C;
    u8 *o = out + pad * C;
    for (int i = 0; i < W * C; i += 16) {
      const v128_t a = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(mul(ld(in + i), vinv)));
      const v128_t b = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(mul(ld(in + i + 4), vinv)));
      const v128_t c = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(mul(ld(in + i + 8), vinv)));
      const v128_t d = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(mul(ld(in + i + 12), vinv)));
      const v128_t v = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d));
      wasm_v128_store(o + i, wasm_u8x16_min(v, top));
    }
  }
}

/*
 * acc + Σ of each lane's four products. Not i32x4.relaxed_dot_i8x16_i7x16_add_s, the one-instruction
 * form: on x86 without AVX-VNNI V8 builds that from several instructions, and it measured slower than
 * this spelling (pmaddubsw, then a pairwise widening add and an add).
 * Same result (a pair of 7-bit × 8-bit products, ≤ 32,258, never saturates the 16-bit lane);
 * measured in Chromium 156 on the reference machine: 2.0 instead of 2.7 ms for a 56×56×64 → 64 3×3
 * layer on one thread (Winograd float32: 2.6 ms).
 */
static inline v128_t dot(v128_t w, v128_t a, v128_t acc) {
  return wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_relaxed_dot_i8x16_i7x16(w, a)));
}

static inline f4 dequant(v128_t acc, f4 scale, f4 bias, int relu) {
  f4 v = add(mul(wasm_f32x4_convert_i32x4(acc), scale), bias);
  return relu ? wasm_f32x4_max(v, wasm_f32x4_splat(0.0f)) : v;
}

/*
 * One thread's share of an int8 convolution over the padded quantized input: output pixels
 * [pix0, pix1) × output channel blocks [cb0, cb1), float32 output (bias, then ReLU if asked).
 * Register tile: 4 pixels × 8 channels, eight int32x4 accumulators.
 */
EXPORT(q8_conv)
void q8_conv(const u8 *xq, const i8 *q, const float *bias, float *y, int W, int cin, int kh, int kw, int stride,
             int OW, int cout, int relu, int pix0, int pix1, int cb0, int cb1) {
  const int k = kw * cin, rowStride = W * cin;
  const float *scale = (const float *)(q + kh * k * cout);
  const f4 zero = wasm_f32x4_splat(0.0f);
  for (int cb = cb0; cb < cb1; cb++) {
    const i8 *panel = q + cb * kh * k * 8;
    const f4 s0 = ld(scale + cb * 8), s1 = ld(scale + cb * 8 + 4);
    const f4 b0 = bias ? ld(bias + cb * 8) : zero, b1 = bias ? ld(bias + cb * 8 + 4) : zero;
    for (int pix = pix0; pix < pix1; pix += 4) {
      const int n = pix1 - pix < 4 ? pix1 - pix : 4;
      const int q1 = n > 1 ? pix + 1 : pix, q2 = n > 2 ? pix + 2 : pix, q3 = n > 3 ? pix + 3 : pix;
      const u8 *r0 = xq + ((pix / OW) * stride * W + (pix % OW) * stride) * cin;
      const u8 *r1 = xq + ((q1 / OW) * stride * W + (q1 % OW) * stride) * cin;
      const u8 *r2 = xq + ((q2 / OW) * stride * W + (q2 % OW) * stride) * cin;
      const u8 *r3 = xq + ((q3 / OW) * stride * W + (q3 % OW) * stride) * cin;
      v128_t c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
      const i8 *b = panel;
      for (int ky = 0; ky < kh; ky++) {
        const int o = ky * rowStride;
        for (int i = 0; i < k; i += 4) {
          const v128_t w0 = wasm_v128_load(b), w1 = wasm_v128_load(b + 16);
          b += 32;
          v128_t a = wasm_v128_load32_splat(r0 + o + i);
          c00 = dot(w0, a, c00);
          c01 = dot(w1, a, c01);
          a = wasm_v128_load32_splat(r1 + o + i);
          c10 = dot(w0, a, c10);
          c11 = dot(w1, a, c11);
          a = wasm_v128_load32_splat(r2 + o + i);
          c20 = dot(w0, a, c20);
          c21 = dot(w1, a, c21);
          a = wasm_v128_load32_splat(r3 + o + i);
          c30 = dot(w0, a, c30);
          c31 = dot(w1, a, c31);
        }
      }
      float *out = y + pix * cout + cb * 8;
      st(out, dequant(c00, s0, b0, relu));
      st(out + 4, dequant(c01, s1, b1, relu));
      if (n > 1) {
        st(out + cout, dequant(c10, s0, b0, relu));
        st(out + cout + 4, dequant(c11, s1, b1, relu));
      }
      if (n > 2) {
        st(out + 2 * cout, dequant(c20, s0, b0, relu));
        st(out + 2 * cout + 4, dequant(c21, s1, b1, relu));
      }
      if (n > 3) {
        st(out + 3 * cout, dequant(c30, s0, b0, relu));
        st(out + 3 * cout + 4, dequant(c31, s1, b1, relu));
      }
    }
  }
}
#endif

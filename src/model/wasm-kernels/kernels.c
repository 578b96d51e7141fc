// Fused kernels for the model's fast path on tfjs-backend-wasm, run in the backend's own memory
// (this module imports it), on tensors the backend allocated. tfjs-backend-wasm has no fused
// attention, LayerNorm or GELU: attention there is per-head products whose second operand is an
// activation, so XNNPACK builds (packs) a new operator for every one of them, and a LayerNorm is
// seven kernels. These loops do the same arithmetic in one pass each, with 128-bit SIMD.
//
// Build: tools/build-kernels.sh (clang --target=wasm32 -msimd128, no libc). The module must
// have no data segment and no shadow stack use, since its memory is the backend's: the build
// checks both. Every pointer is a byte offset into that memory; sizes are in elements.
#include <wasm_simd128.h>

typedef v128_t f4;

#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define LOG2E 1.44269504088896341f
/** Inputs below this underflow exp to 0 (float32). */
#define EXP_MIN -87.33654f
#define EXP_MAX 88.3762626647949f

/** 1.5 * 2^23: adding it rounds a float to an integer held in the low mantissa bits. */
#define ROUND_MAGIC 12582912.0f

/**
 * e^x per lane: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-5 polynomial (Cephes expf), relative
 * error below 2e-7. n is rounded with ROUND_MAGIC and 2^n built from its bits (pmin/pmax and this
 * rounding map to single x86 instructions; min/max, nearest and trunc_sat do not).
 */
static inline f4 exp4(f4 x) {
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, wasm_f32x4_splat(EXP_MIN)), wasm_f32x4_splat(EXP_MAX));
  const f4 magic = wasm_f32x4_splat(ROUND_MAGIC);
  const f4 t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(LOG2E)), magic);
  const f4 n = wasm_f32x4_sub(t, magic);
  f4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(LN2_HI)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(LN2_LO)));
  f4 p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  const f4 r2 = wasm_f32x4_mul(r, r);
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, r2), r), wasm_f32x4_splat(1.0f));
  // 2^n: n + 127 into the exponent bits (t's low bits hold n; n + 127 is within [1, 255) after the clamp).
  const v128_t e = wasm_i32x4_shl(wasm_i32x4_add((v128_t)t, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, (f4)e);
}

static inline float hsum(f4 v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

static inline float hmax(f4 v) {
  float a = wasm_f32x4_extract_lane(v, 0), b = wasm_f32x4_extract_lane(v, 1);
  float c = wasm_f32x4_extract_lane(v, 2), d = wasm_f32x4_extract_lane(v, 3);
  a = a > b ? a : b;
  c = c > d ? c : d;
  return a > c ? a : c;
}

/**
 * LayerNorm without its affine part (biased variance, as torch): out[r] = (x[r] - mean) / sqrt(var + eps)
 * for `rows` rows of `d` values (d a multiple of 4).
 */
__attribute__((export_name("layer_norm")))
void layer_norm(const float *x, float *out, int rows, int d, float eps) {
  const float inv_d = 1.0f / (float)d;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * d;
    float *o = out + (long)r * d;
    f4 s = wasm_f32x4_splat(0.0f);
    for (int c = 0; c < d; c += 4) s = wasm_f32x4_add(s, wasm_v128_load(xr + c));
    const f4 mean = wasm_f32x4_splat(hsum(s) * inv_d);
    f4 q = wasm_f32x4_splat(0.0f);
    for (int c = 0; c < d; c += 4) {
      f4 v = wasm_f32x4_sub(wasm_v128_load(xr + c), mean);
      q = wasm_f32x4_add(q, wasm_f32x4_mul(v, v));
    }
    const f4 scale = wasm_f32x4_splat(1.0f / __builtin_sqrtf(hsum(q) * inv_d + eps));
    for (int c = 0; c < d; c += 4) wasm_v128_store(o + c, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + c), mean), scale));
  }
}

/**
 * The MLP's activation with the 1/sqrt 2 folded into the weights around it: out = u + u erf(u)
 * (= sqrt 2 gelu(sqrt 2 u)), n values (a multiple of 4). erf by Abramowitz & Stegun 7.1.26
 * (absolute error below 1.5e-7).
 */
__attribute__((export_name("gelu_u")))
void gelu_u(const float *x, float *out, int n) {
  const f4 one = wasm_f32x4_splat(1.0f);
  const f4 p = wasm_f32x4_splat(0.3275911f);
  const f4 a1 = wasm_f32x4_splat(0.254829592f), a2 = wasm_f32x4_splat(-0.284496736f), a3 = wasm_f32x4_splat(1.421413741f);
  const f4 a4 = wasm_f32x4_splat(-1.453152027f), a5 = wasm_f32x4_splat(1.061405429f);
  for (int i = 0; i < n; i += 4) {
    f4 u = wasm_v128_load(x + i);
    f4 z = wasm_f32x4_abs(u);
    f4 t = wasm_f32x4_div(one, wasm_f32x4_add(one, wasm_f32x4_mul(p, z)));
    f4 poly = wasm_f32x4_add(wasm_f32x4_mul(a5, t), a4);
    poly = wasm_f32x4_add(wasm_f32x4_mul(poly, t), a3);
    poly = wasm_f32x4_add(wasm_f32x4_mul(poly, t), a2);
    poly = wasm_f32x4_add(wasm_f32x4_mul(poly, t), a1);
    poly = wasm_f32x4_mul(poly, t);
    f4 e = wasm_f32x4_sub(one, wasm_f32x4_mul(poly, exp4(wasm_f32x4_neg(wasm_f32x4_mul(z, z)))));
    // erf is odd: the sign of u onto |erf|.
    e = wasm_v128_or(e, wasm_v128_and(u, wasm_i32x4_splat((int)0x80000000)));
    wasm_v128_store(out + i, wasm_f32x4_add(u, wasm_f32x4_mul(u, e)));
  }
}

/** Scores of query rows q0 and q1 against 16 keys (kT columns j..j+15 of a [hd, t4] block), into s0 and s1. */
static inline void scores2x16(const float *q0, const float *q1, const float *kt, int t4, int hd, int j, float *s0, float *s1) {
  f4 a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  for (int c = 0; c < hd; c++) {
    const float *kr = kt + c * t4 + j;
    const f4 k0 = wasm_v128_load(kr), k1 = wasm_v128_load(kr + 4), k2 = wasm_v128_load(kr + 8), k3 = wasm_v128_load(kr + 12);
    const f4 x = wasm_f32x4_splat(q0[c]), y = wasm_f32x4_splat(q1[c]);
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(x, k0));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(x, k1));
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(x, k2));
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(x, k3));
    b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(y, k0));
    b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(y, k1));
    b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(y, k2));
    b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(y, k3));
  }
  wasm_v128_store(s0 + j, a0);
  wasm_v128_store(s0 + j + 4, a1);
  wasm_v128_store(s0 + j + 8, a2);
  wasm_v128_store(s0 + j + 12, a3);
  wasm_v128_store(s1 + j, b0);
  wasm_v128_store(s1 + j + 4, b1);
  wasm_v128_store(s1 + j + 8, b2);
  wasm_v128_store(s1 + j + 12, b3);
}

/** Scores of query rows q0 and q1 against 4 keys (kT columns j..j+3), into s0 and s1. */
static inline void scores2x4(const float *q0, const float *q1, const float *kt, int t4, int hd, int j, float *s0, float *s1) {
  f4 a = wasm_f32x4_splat(0.0f), b = a;
  for (int c = 0; c < hd; c++) {
    const f4 k = wasm_v128_load(kt + c * t4 + j);
    a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_splat(q0[c]), k));
    b = wasm_f32x4_add(b, wasm_f32x4_mul(wasm_f32x4_splat(q1[c]), k));
  }
  wasm_v128_store(s0 + j, a);
  wasm_v128_store(s1 + j, b);
}

/** softmax's numerators of the t scores in s (the row's max subtracted), in place; returns 1 / their sum. */
static inline float softmax_row(float *s, int t) {
  int j = 0;
  f4 mv = wasm_f32x4_splat(s[0]);
  for (; j + 4 <= t; j += 4) mv = wasm_f32x4_pmax(mv, wasm_v128_load(s + j));
  float m = hmax(mv);
  for (; j < t; j++) m = s[j] > m ? s[j] : m;
  const f4 m4 = wasm_f32x4_splat(m);
  f4 sum4 = wasm_f32x4_splat(0.0f);
  j = 0;
  for (; j + 4 <= t; j += 4) {
    const f4 e = exp4(wasm_f32x4_sub(wasm_v128_load(s + j), m4));
    wasm_v128_store(s + j, e);
    sum4 = wasm_f32x4_add(sum4, e);
  }
  float sum = hsum(sum4);
  if (j < t) {
    // The last partial vector: s has room up to t rounded up to 4, and only its first t - j lanes count.
    wasm_v128_store(s + j, exp4(wasm_f32x4_sub(wasm_v128_load(s + j), m4)));
    for (; j < t; j++) sum += s[j];
  }
  return 1.0f / sum;
}

/**
 * o0 = inv0 * sum_k s0[k] v[k], o1 likewise, for 16 columns from c of v rows `stride` apart
 * (4 columns when `four`).
 */
static inline void weighted2(const float *s0, const float *s1, const float *v, int stride, int t, float inv0, float inv1,
                             float *o0, float *o1, int four) {
  f4 a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  if (four) {
    for (int k = 0; k < t; k++) {
      const f4 vr = wasm_v128_load(v + (long)k * stride);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_f32x4_splat(s0[k]), vr));
      b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(wasm_f32x4_splat(s1[k]), vr));
    }
    wasm_v128_store(o0, wasm_f32x4_mul(a0, wasm_f32x4_splat(inv0)));
    wasm_v128_store(o1, wasm_f32x4_mul(b0, wasm_f32x4_splat(inv1)));
    return;
  }
  for (int k = 0; k < t; k++) {
    const float *vr = v + (long)k * stride;
    const f4 v0 = wasm_v128_load(vr), v1 = wasm_v128_load(vr + 4), v2 = wasm_v128_load(vr + 8), v3 = wasm_v128_load(vr + 12);
    const f4 x = wasm_f32x4_splat(s0[k]), y = wasm_f32x4_splat(s1[k]);
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(x, v0));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(x, v1));
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(x, v2));
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(x, v3));
    b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(y, v0));
    b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(y, v1));
    b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(y, v2));
    b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(y, v3));
  }
  const f4 i0 = wasm_f32x4_splat(inv0), i1 = wasm_f32x4_splat(inv1);
  wasm_v128_store(o0, wasm_f32x4_mul(a0, i0));
  wasm_v128_store(o0 + 4, wasm_f32x4_mul(a1, i0));
  wasm_v128_store(o0 + 8, wasm_f32x4_mul(a2, i0));
  wasm_v128_store(o0 + 12, wasm_f32x4_mul(a3, i0));
  wasm_v128_store(o1, wasm_f32x4_mul(b0, i1));
  wasm_v128_store(o1 + 4, wasm_f32x4_mul(b1, i1));
  wasm_v128_store(o1 + 8, wasm_f32x4_mul(b2, i1));
  wasm_v128_store(o1 + 12, wasm_f32x4_mul(b3, i1));
}

/**
 * Multi-head self-attention of `n` samples of `t` tokens: qkv `[n*t, 3d]` (per row q | k | v, each
 * `heads` blocks of hd = d / heads; q already scaled by hd^-0.5) -> out `[n*t, d]`, heads side by
 * side, softmax(q k^T) v per sample and head. Query rows go two at a time, so each key and value
 * loaded serves both. `scratch`: (hd + 4) * t4 floats, t4 = t rounded up to 4. hd must be a
 * multiple of 4.
 */
__attribute__((export_name("attention")))
void attention(const float *qkv, float *out, float *scratch, int n, int t, int d, int heads) {
  const int hd = d / heads;
  const int row = 3 * d;
  const int t4 = (t + 3) & ~3;
  float *kt = scratch;              // [hd, t4]: this head's keys, transposed, zero-padded
  float *s0 = scratch + hd * t4;    // [t4]: a query's scores, then weights
  float *s1 = s0 + t4;              // [t4]: the next query's
  for (int b = 0; b < n; b++) {
    const float *base = qkv + (long)b * t * row;
    float *obase = out + (long)b * t * d;
    for (int h = 0; h < heads; h++) {
      const float *qh = base + h * hd;
      const float *vh = base + 2 * d + h * hd;
      const float *kh = base + d + h * hd;
      for (int j = 0; j < t; j++)
        for (int c = 0; c < hd; c++) kt[c * t4 + j] = kh[(long)j * row + c];
      for (int c = 0; c < hd; c++)
        for (int j = t; j < t4; j++) kt[c * t4 + j] = 0.0f;
      for (int i = 0; i < t; i += 2) {
        // An odd last row pairs with itself (computed twice, written once).
        const int i1 = i + 1 < t ? i + 1 : i;
        const float *q0 = qh + (long)i * row, *q1 = qh + (long)i1 * row;
        int j = 0;
        for (; j + 16 <= t4; j += 16) scores2x16(q0, q1, kt, t4, hd, j, s0, s1);
        for (; j < t4; j += 4) scores2x4(q0, q1, kt, t4, hd, j, s0, s1);
        const float inv0 = softmax_row(s0, t), inv1 = softmax_row(s1, t);
        float *o0 = obase + (long)i * d + h * hd, *o1 = obase + (long)i1 * d + h * hd;
        int c = 0;
        for (; c + 16 <= hd; c += 16) weighted2(s0, s1, vh + c, row, t, inv0, inv1, o0 + c, o1 + c, 0);
        for (; c < hd; c += 4) weighted2(s0, s1, vh + c, row, t, inv0, inv1, o0 + c, o1 + c, 1);
      }
    }
  }
}

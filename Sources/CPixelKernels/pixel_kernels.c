#include "pixel_kernels.h"

#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the luma correction pairs (kimi_luma_correction) assume a little-endian CPU"
#endif

#if !defined(__has_feature)
#define __has_feature(x) 0
#endif
#if defined(__x86_64__)
#include <emmintrin.h>
#endif
// The row loops are written plainly for the compiler to vectorise, once for AVX2 and once for the
// baseline (SSE2), picked by the loader (ifunc) from the CPU: the same integer arithmetic either way.
// Not under a sanitizer: an ifunc resolver runs while the program is being relocated, before the
// sanitizer's runtime is up, and its instrumented code crashes there.
#if defined(__x86_64__) && !__has_feature(thread_sanitizer) && !__has_feature(address_sanitizer) \
    && !__has_feature(memory_sanitizer) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define KIMI_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KIMI_CLONES
#endif

// --- Video YCbCr → JFIF YCbCr -----------------------------------------------------------------
//
// BT.709 → BT.601: the 3×3 matrix RGB→YCbCr(601) · YCbCr(709)→RGB in 14-bit fixed point.
//   Y'  = Y + (1664·(Cb−128) + 3213·(Cr−128)) / 2^14
//   Cb' = 128 + (16218·(Cb−128) − 1813·(Cr−128)) / 2^14
//   Cr' = 128 + (−1187·(Cb−128) + 16112·(Cr−128)) / 2^14
// Y does not change the chroma, so chroma converts at its own resolution; each luma sample gets
// the correction of the chroma interpolated at its position (MPEG-2 4:2:0 siting: co-sited
// horizontally with even columns, centred vertically), as a decoder's upsampling gives it.
// Range expansion: ((v − offset) × scale / 2^13, rounded) + centre, clamped (luma 16/9539/0,
// chroma 128/9325/128; full range is the identity 0/8192/0).

typedef struct {
    int32_t offset, scale, centre;
} kimi_expansion;

static const kimi_expansion kimi_luma_limited = {16, 9539, 0}, kimi_chroma_limited = {128, 9325, 128},
                            kimi_identity = {0, 8192, 0};

static inline int32_t kimi_clamp255(int32_t v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

static inline int32_t kimi_expand(int32_t v, kimi_expansion e) {
    return kimi_clamp255((((v - e.offset) * e.scale + 4096) >> 13) + e.centre);
}

typedef struct {
    int32_t y_cb, y_cr, cb_cb, cb_cr, cr_cb, cr_cr;
} kimi_matrix;

// One chroma row: both planes converted, and the luma correction dY of each sample in 1/16 levels
// (the matrix's 2^14 scale cut to 2^4 for the interpolation).
KIMI_CLONES
static void kimi_chroma_row(const uint8_t *restrict su, const uint8_t *restrict sv, uint8_t *restrict du,
                            uint8_t *restrict dv, int32_t *restrict dy, int cw, kimi_expansion chroma, kimi_matrix m) {
    for (int x = 0; x < cw; x++) {
        int32_t u = kimi_expand(su[x], chroma) - 128, v = kimi_expand(sv[x], chroma) - 128;
        dy[x] = (m.y_cb * u + m.y_cr * v + 512) >> 10;
        du[x] = (uint8_t)kimi_clamp255(128 + ((m.cb_cb * u + m.cb_cr * v + 8192) >> 14));
        dv[x] = (uint8_t)kimi_clamp255(128 + ((m.cr_cb * u + m.cr_cr * v + 8192) >> 14));
    }
}

// The correction of each luma sample of a row from the chroma rows around it: `near` and `far`
// weighted 3:1 (e, in 1/64 levels, within ±2,440; one past the end repeats the last); the even
// sample at its chroma sample's position, the odd one halfway to the next. Each pair is stored as
// one 32-bit word (even sample in the low half: little-endian), which the compiler vectorises.
KIMI_CLONES
static void kimi_luma_correction(const int32_t *restrict near, const int32_t *restrict far, int16_t *restrict e,
                                 uint32_t *restrict pairs, int cw) {
    for (int x = 0; x < cw; x++) e[x] = (int16_t)(3 * near[x] + far[x]);
    e[cw] = e[cw - 1];
    for (int x = 0; x < cw; x++) {
        uint16_t even = (uint16_t)((e[x] + 32) >> 6), odd = (uint16_t)((e[x] + e[x + 1] + 64) >> 7);
        pairs[x] = (uint32_t)even | (uint32_t)odd << 16;
    }
}

// The pairs' halves, read as 16-bit samples (`may_alias`: written as 32-bit words).
typedef int16_t __attribute__((may_alias)) kimi_half;

KIMI_CLONES
static void kimi_luma_row(const uint8_t *restrict s, uint8_t *restrict t, const kimi_half *restrict d, int width,
                          kimi_expansion luma) {
    for (int x = 0; x < width; x++) t[x] = (uint8_t)kimi_clamp255(kimi_expand(s[x], luma) + d[x]);
}

KIMI_CLONES
static void kimi_luma_row_plain(const uint8_t *restrict s, uint8_t *restrict t, int width, kimi_expansion luma) {
    for (int x = 0; x < width; x++) t[x] = (uint8_t)kimi_expand(s[x], luma);
}

// The chroma planes' rows converted so far, and what converting the next ones needs.
typedef struct {
    const uint8_t *cb, *cr;
    ptrdiff_t cb_stride, cr_stride;
    uint8_t *out_cb, *out_cr;
    ptrdiff_t out_cb_stride, out_cr_stride;
    int cw, converted;
    int32_t *dy_rows;  // three rows' dY, row cy in slot cy % 3
    uint8_t *copies;   // two rows: the source of an in-place row, read before it is written
    kimi_expansion chroma;
    kimi_matrix m;
} kimi_chroma_rows;

// Converts the chroma rows up to `last` that are not converted yet.
static void kimi_convert_chroma_through(kimi_chroma_rows *c, int last) {
    for (; c->converted <= last; c->converted++) {
        int cy = c->converted;
        const uint8_t *su = c->cb + cy * c->cb_stride, *sv = c->cr + cy * c->cr_stride;
        uint8_t *du = c->out_cb + cy * c->out_cb_stride, *dv = c->out_cr + cy * c->out_cr_stride;
        if (su == du) su = memcpy(c->copies, su, (size_t)c->cw);
        if (sv == dv) sv = memcpy(c->copies + c->cw, sv, (size_t)c->cw);
        kimi_chroma_row(su, sv, du, dv, c->dy_rows + (size_t)(cy % 3) * c->cw, c->cw, c->chroma, c->m);
    }
}

int kimi_video_to_jfif(const uint8_t *y, ptrdiff_t y_stride, const uint8_t *cb, ptrdiff_t cb_stride,
                       const uint8_t *cr, ptrdiff_t cr_stride,
                       uint8_t *out_y, ptrdiff_t out_y_stride, uint8_t *out_cb, ptrdiff_t out_cb_stride,
                       uint8_t *out_cr, ptrdiff_t out_cr_stride,
                       int width, int height, int cw, int ch, int limited, int bt709) {
    if (width <= 0 || height <= 0 || cw <= 0 || ch <= 0) return 0;
    const kimi_matrix m = bt709 ? (kimi_matrix){1664, 3213, 16218, -1813, -1187, 16112} : (kimi_matrix){0, 0, 16384, 0, 0, 16384};
    const kimi_expansion luma = limited ? kimi_luma_limited : kimi_identity, chroma = limited ? kimi_chroma_limited : kimi_identity;
    // dY of three chroma rows at a time (row cy in slot cy % 3): a luma row needs the rows around it.
    // In place, each source row is read from a copy first.
    size_t bytes = sizeof(int32_t) * (3 * (size_t)cw + (size_t)cw) + sizeof(int16_t) * ((size_t)cw + 2)
                 + (size_t)width + 2 * (size_t)cw;
    uint8_t *scratch = malloc(bytes);
    if (!scratch) return -1;
    int32_t *dy_rows = (int32_t *)scratch;
    uint32_t *pairs = (uint32_t *)(dy_rows + 3 * (size_t)cw);  // d of luma samples 2x and 2x + 1
    int16_t *e = (int16_t *)(pairs + cw);
    uint8_t *copies = (uint8_t *)(e + cw + 2);
    kimi_chroma_rows rows = {cb, cr, cb_stride, cr_stride, out_cb, out_cr, out_cb_stride, out_cr_stride,
                             cw, 0, dy_rows, copies + width, chroma, m};
    for (int row = 0; row < height; row++) {
        int near = row / 2 < ch - 1 ? row / 2 : ch - 1;
        int far = row % 2 == 0 ? (near - 1 > 0 ? near - 1 : 0) : (near + 1 < ch - 1 ? near + 1 : ch - 1);
        kimi_convert_chroma_through(&rows, near > far ? near : far);
        const uint8_t *s = y + row * y_stride;
        uint8_t *t = out_y + row * out_y_stride;
        if (s == t) s = memcpy(copies, s, (size_t)width);
        if (!bt709) {
            kimi_luma_row_plain(s, t, width, luma);
            continue;
        }
        kimi_luma_correction(dy_rows + (size_t)(near % 3) * cw, dy_rows + (size_t)(far % 3) * cw, e, pairs, cw);
        kimi_luma_row(s, t, (const kimi_half *)pairs, width, luma);
    }
    kimi_convert_chroma_through(&rows, ch - 1);  // chroma rows below the last luma row's (odd heights)
    free(scratch);
    return 0;
}

// --- Halving a plane -------------------------------------------------------------------------
//
// The mean of four samples (their sum s, 0…1020) expanded as ``VideoRange.expand`` does it in
// floating point (round half away from zero, clamped): for limited luma round((s/4 − 16)·255/219),
// for limited chroma round((s/4 − 128)·255/224) + 128. In integers, with constants found by search
// and checked against the formula for every sum (`PixelKernelTests`):
//   luma   ((s − 64)·38155 + 65535) >> 17
//   chroma (((s − 512)·18651 + 32767) >> 16) + 128
//   full   (s + 2) >> 2

KIMI_CLONES
static void kimi_halve_row(const uint8_t *restrict top, const uint8_t *restrict bottom, uint8_t *restrict out, int width,
                           kimi_range range) {
    if (range == kimi_range_luma) {
        for (int x = 0; x < width; x++) {
            int32_t s = top[2 * x] + top[2 * x + 1] + bottom[2 * x] + bottom[2 * x + 1];
            out[x] = (uint8_t)kimi_clamp255(((s - 64) * 38155 + 65535) >> 17);
        }
    } else if (range == kimi_range_chroma) {
        for (int x = 0; x < width; x++) {
            int32_t s = top[2 * x] + top[2 * x + 1] + bottom[2 * x] + bottom[2 * x + 1];
            out[x] = (uint8_t)kimi_clamp255((((s - 512) * 18651 + 32767) >> 16) + 128);
        }
    } else {
        for (int x = 0; x < width; x++) {
            int32_t s = top[2 * x] + top[2 * x + 1] + bottom[2 * x] + bottom[2 * x + 1];
            out[x] = (uint8_t)((s + 2) >> 2);
        }
    }
}

void kimi_halve_plane(const uint8_t *source, ptrdiff_t source_stride, uint8_t *target, ptrdiff_t target_stride,
                      int width, int height, kimi_range range) {
    for (int y = 0; y < height; y++) {
        const uint8_t *top = source + 2 * (ptrdiff_t)y * source_stride;
        kimi_halve_row(top, top + source_stride, target + (ptrdiff_t)y * target_stride, width, range);
    }
}

// --- Turning a plane -------------------------------------------------------------------------

#if defined(__x86_64__)
// 16×16 bytes transposed in registers: interleaving row i with row i + 8, byte by byte, moves the
// element at (row, column), as the 8-bit index row‖column, one bit to the left (rotated); four
// times over, row and column have changed places.
static inline void kimi_transpose16(__m128i r[16]) {
    for (int round = 0; round < 4; round++) {
        __m128i o[16];
        for (int i = 0; i < 8; i++) {
            o[2 * i] = _mm_unpacklo_epi8(r[i], r[i + 8]);
            o[2 * i + 1] = _mm_unpackhi_epi8(r[i], r[i + 8]);
        }
        for (int i = 0; i < 16; i++) r[i] = o[i];
    }
}
#endif

// `count` bytes from `source` written to `target` last first.
KIMI_CLONES
static void kimi_reversed_row(const uint8_t *restrict source, uint8_t *restrict target, int count) {
    for (int x = 0; x < count; x++) target[x] = source[count - 1 - x];
}

void kimi_plane_orient8(const uint8_t *source, ptrdiff_t origin, ptrdiff_t step_x, ptrdiff_t step_y,
                        uint8_t *target, ptrdiff_t target_stride, int out_width, int out_height) {
    // Half turns and mirrors: whole rows, copied or reversed (a phone held upside down).
    if (step_x == 1 || step_x == -1) {
        for (int y = 0; y < out_height; y++) {
            uint8_t *t = target + (ptrdiff_t)y * target_stride;
            const uint8_t *s = source + origin + (ptrdiff_t)y * step_y;
            if (step_x == 1) memcpy(t, s, (size_t)out_width);
            else kimi_reversed_row(s - (out_width - 1), t, out_width);
        }
        return;
    }
    int tiled_w = 0, tiled_h = 0;
#if defined(__x86_64__)
    // Quarter turns: output rows run down source columns (|step_y| == 1 byte along a source row).
    if (step_y == 1 || step_y == -1) {
        tiled_w = out_width / 16 * 16;
        tiled_h = out_height / 16 * 16;
        // Down the output column of tiles: the same 16 source rows, read along (each cache line
        // serves four tiles); the writes fill 16-byte pieces of every output row's line in turn.
        for (int x0 = 0; x0 < tiled_w; x0 += 16) {
            for (int y0 = 0; y0 < tiled_h; y0 += 16) {
                // r[i]: output column x0 + i, rows y0 … y0 + 15 (contiguous in the source; read
                // from the low address, so a step of −1 gives them bottom row first).
                __m128i r[16];
                for (int i = 0; i < 16; i++) {
                    ptrdiff_t at = origin + (ptrdiff_t)(x0 + i) * step_x + (ptrdiff_t)y0 * step_y;
                    r[i] = _mm_loadu_si128((const __m128i *)(source + (step_y == 1 ? at : at - 15)));
                }
                kimi_transpose16(r);
                for (int k = 0; k < 16; k++) {
                    int row = step_y == 1 ? y0 + k : y0 + 15 - k;
                    _mm_storeu_si128((__m128i *)(target + (ptrdiff_t)row * target_stride + x0), r[k]);
                }
            }
        }
    }
#endif
    // What the tiles left: the right-hand columns of the tiled rows, then the rows below.
    for (int y = 0; y < out_height; y++) {
        uint8_t *t = target + (ptrdiff_t)y * target_stride;
        const uint8_t *s = source + origin + (ptrdiff_t)y * step_y;
        for (int x = y < tiled_h ? tiled_w : 0; x < out_width; x++) t[x] = s[(ptrdiff_t)x * step_x];
    }
}

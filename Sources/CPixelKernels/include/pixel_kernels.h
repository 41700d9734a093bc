#ifndef KIMI_PIXEL_KERNELS_H
#define KIMI_PIXEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Video 4:2:0 planes → full-range BT.601 (JFIF) planes of the same size, in one pass: the range
/// expansion when `limited` (16–235/240 → 0–255) and, when `bt709`, the BT.709 → BT.601 matrix,
/// the luma correction interpolated from the chroma at MPEG-2 4:2:0 siting. Integer arithmetic,
/// the same for every CPU (AVX2 where the CPU has it, chosen at load time; SSE2 or plain C else).
/// The source may be the target (in place). `cw`/`ch`: the chroma planes' size.
/// Returns 0, or -1 when scratch memory cannot be had (nothing written).
int kimi_video_to_jfif(const uint8_t *y, ptrdiff_t y_stride, const uint8_t *cb, ptrdiff_t cb_stride,
                       const uint8_t *cr, ptrdiff_t cr_stride,
                       uint8_t *out_y, ptrdiff_t out_y_stride, uint8_t *out_cb, ptrdiff_t out_cb_stride,
                       uint8_t *out_cr, ptrdiff_t out_cr_stride,
                       int width, int height, int cw, int ch, int limited, int bt709);

/// How ``kimi_halve_plane`` maps the mean of four samples: kept (rounded), or expanded from
/// limited-range luma (16–235) or chroma (16–240 around 128) to full range.
typedef enum { kimi_range_full = 0, kimi_range_luma = 1, kimi_range_chroma = 2 } kimi_range;

/// An exact 2×2 box reduction of one 8-bit plane (for fits that are exactly half: 3840×2160 →
/// 1920×1080): each output sample the mean of its four source samples, with the range expansion
/// of `range` in the same pass. Reads `2·width` × `2·height` samples at `source`.
void kimi_halve_plane(const uint8_t *source, ptrdiff_t source_stride, uint8_t *target, ptrdiff_t target_stride,
                      int width, int height, kimi_range range);

/// A one-byte-per-sample plane turned by a quarter turn or flipped: output pixel (x, y) reads the
/// source byte at `origin + x * step_x + y * step_y`. Quarter turns (|step_x| a row) go in
/// 16×16 tiles transposed in registers.
void kimi_plane_orient8(const uint8_t *source, ptrdiff_t origin, ptrdiff_t step_x, ptrdiff_t step_y,
                        uint8_t *target, ptrdiff_t target_stride, int out_width, int out_height);

#endif

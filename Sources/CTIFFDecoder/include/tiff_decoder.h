#ifndef KIMI_TIFF_DECODER_H
#define KIMI_TIFF_DECODER_H
// libtiff 4.5 over a file held in memory, for TIFF (and BigTIFF): scanners', cameras' and
// editors' files in every photometric libtiff's RGBA interface reads (RGB, palette, gray, CMYK,
// CIE L*a*b*, YCbCr, old-style JPEG; 1–16 bits). Errors come back through a per-handle handler
// into `error` (libtiff's global handlers are never touched); no longjmp.
#include <stddef.h>
#include <stdint.h>

/// The first directory's facts: stored size, EXIF-style orientation (1–8), samples per pixel,
/// bits per sample, whether an extra sample is alpha, and whether libtiff's RGBA interface can
/// read it. 0 on success; -1 with a message in `error`.
int kimi_tiff_header(const uint8_t *data, size_t size, int *width, int *height, int *orientation, int *samples,
                     int *bits, int *alpha, int *readable, char *error, size_t error_size);

/// Decodes the first directory to 8-bit RGBA, top row first, in stored orientation, into `pixels`
/// (`width` × `height` × 4 bytes). 0 on success; -1 with a message in `error`.
int kimi_tiff_decode_rgba(const uint8_t *data, size_t size, uint8_t *pixels, int width, int height,
                          char *error, size_t error_size);
/// Decodes a one-sample image of 32-bit or 64-bit samples (integers or IEEE floats, as science and
/// scanner tools write: what the RGBA interface refuses) to 8-bit gray, its value range stretched
/// to 0–255 (NaN and ±∞ ignored). Strips only. 0 on success; -1 with a message in `error`.
int kimi_tiff_decode_gray_wide(const uint8_t *data, size_t size, uint8_t *pixels, int width, int height,
                               char *error, size_t error_size);
#endif

#ifndef KIMI_JPEG_DECODER_H
#define KIMI_JPEG_DECODER_H
// libjpeg's own decompressor, for the JPEGs TurboJPEG's tj* API refuses although libjpeg decodes
// them: chroma sampling factors that TurboJPEG 2.1 cannot classify ("Could not determine
// subsampling type": luma subsampled, per-component factors). libjpeg reports errors by longjmp;
// the setjmp stays in this file and the caller gets a status (design §3.5).
#include <stddef.h>
#include <stdint.h>

/// Reads the header: the size of a decode at 1/`scale_denominator` (1, 2, 4 or 8; 1 is the coded
/// size) and the component count. 0 on success; -1 with a message in `error`.
int kimi_jpeg_read_header(const uint8_t *data, size_t size, int scale_denominator, int *width, int *height,
                          int *components, char *error, size_t error_size);

/// Decodes at 1/`scale_denominator` (1, 2, 4 or 8) to interleaved RGB (3 bytes a pixel; CMYK and
/// YCCK converted with Adobe's inverted inks) into `pixels`, which holds `stride` × `height` bytes
/// for the scaled size from kimi_jpeg_read_header. 0 on success; 1 when decoded with warnings
/// (corrupt data skipped, or a truncated scan filled with gray); -1 on failure; messages go to
/// `error`.
int kimi_jpeg_decode_rgb(const uint8_t *data, size_t size, int scale_denominator, uint8_t *pixels, size_t stride,
                         int width, int height, char *error, size_t error_size);

#endif

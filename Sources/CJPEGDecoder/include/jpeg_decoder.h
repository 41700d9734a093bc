#ifndef KIMI_JPEG_DECODER_H
#define KIMI_JPEG_DECODER_H
// libjpeg's own decompressor, for the JPEGs TurboJPEG's tj* API refuses although libjpeg decodes
// them: chroma sampling factors that TurboJPEG 2.1 cannot classify ("Could not determine
// subsampling type": luma subsampled, per-component factors). libjpeg reports errors by longjmp;
// the setjmp stays in this file and the caller gets a status (a longjmp must never cross a Swift frame).
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

/// The stored planes of a plain YCbCr or gray JPEG (not CMYK, YCCK or RGB-coded), as
/// kimi_jpeg_decode_planes writes them: per component its width and height (the sizes TurboJPEG's
/// tjPlaneWidth/Height give), the row stride the raw decoder needs (whole blocks, up to the MCU's
/// width) and its rows per iMCU row (v_samp_factor × 8). 0 on success; -2 for a JPEG this path
/// does not take; -1 on failure.
int kimi_jpeg_plane_layout(const uint8_t *data, size_t size, int *components, int *widths, int *heights, int *strides,
                           int *rows_per_imcu, char *error, size_t error_size);
/// Decodes the planes at full size, one iMCU row at a time, into `planes` (component i: `heights[i]`
/// rows, `strides[i]` bytes apart, at least the layout's stride; when `ring_rows[i]` > 0 the plane
/// holds that many rows and row y goes to slot y mod `ring_rows[i]`), with the accurate integer
/// IDCT (TurboJPEG's TJFLAG_ACCURATEDCT: the same samples as tjDecompressToYUVPlanes), calling
/// `progress(context, n)` after the n-th iMCU row is in place (it may block until the next one's
/// slots are free). 0 on success; 1 when decoded with warnings; -1 on failure (message in
/// `error`); -2 for a JPEG this path does not take. With `threads` > 1 a progressive file's scans are
/// decoded on that many threads (kimi_jpeg_progressive_planes), libjpeg taking it where that declines.
int kimi_jpeg_decode_planes(const uint8_t *data, size_t size, int threads, uint8_t *const *planes, const int *strides,
                            const int *heights, const int *ring_rows, void *context, void (*progress)(void *context, int imcu_rows),
                            char *error, size_t error_size);

/// A progressive Huffman JPEG's planes as kimi_jpeg_decode_planes writes them, its scans entropy-decoded
/// by `threads` workers at once (jpeg_progressive.c). 0 on success; -2 when this decoder does not
/// take the file or finds anything damaged or unusual in it (then nothing was written and libjpeg
/// should decode it).
int kimi_jpeg_progressive_planes(const uint8_t *data, size_t size, int threads, uint8_t *const *planes, const int *strides,
                                 const int *heights, const int *ring_rows, void *context, void (*progress)(void *context, int imcu_rows));

/// A baseline JPEG written from gray or YCbCr 4:2:0 planes one iMCU row at a time, as the planes are
/// made (jpeg_encoder.c): the settings and bytes of TurboJPEG's tjCompressFromYUVPlanes with
/// TJFLAG_ACCURATEDCT. Chroma planes are ceil(width / 2) × ceil(height / 2).
typedef struct kimi_jpeg_writer kimi_jpeg_writer;
/// NULL on failure (message in `error`).
kimi_jpeg_writer *kimi_jpeg_writer_begin(int width, int height, int components, int quality, char *error, size_t error_size);
/// Writes every iMCU row whose rows are in place (`available[i]`: the first rows of plane i that
/// are), in order from where the last call stopped. Returns the image rows written so far (the
/// height once all are), or -1 on failure.
int kimi_jpeg_writer_write(kimi_jpeg_writer *writer, const uint8_t *const *planes, const int *strides, const int *available);
/// Ends the JPEG once every row is written: `bytes` (owned by the writer, valid until it is freed)
/// and their count. 0, or -1 on failure.
int kimi_jpeg_writer_finish(kimi_jpeg_writer *writer, const uint8_t **bytes, unsigned long *size);
/// What the last failed call said.
const char *kimi_jpeg_writer_error(const kimi_jpeg_writer *writer);
void kimi_jpeg_writer_free(kimi_jpeg_writer *writer);
#endif

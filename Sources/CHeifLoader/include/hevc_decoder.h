#ifndef KIMI_HEVC_DECODER_H
#define KIMI_HEVC_DECODER_H
// One HEVC picture (a HEIC's image item or one tile of its grid) decoded by libde265 directly,
// loaded on first use (dlopen, as libheif is: heif_loader.h). libheif 1.15 decodes with one
// libde265 worker and converts every picture to RGB; kimi-media asks libde265 for as many workers
// as it has cores (x265's wavefront rows decode in parallel) and takes the YCbCr planes as they are.
#include <stddef.h>
#include <stdint.h>

/// A decoded picture: planes owned by the decoder, valid until `kimi_hevc_free`.
typedef struct kimi_hevc_picture {
    const uint8_t *plane[3];  // Y, Cb, Cr (Cb and Cr NULL for 4:0:0)
    int stride[3];
    int width, height;              // luma, after the SPS conformance window
    int chroma_width, chroma_height;
    int chroma_format;              // 0 4:0:0, 1 4:2:0, 2 4:2:2, 3 4:4:4
    int bit_depth;                  // luma bits per sample
    int chroma_bit_depth;
    int matrix_coefficients;        // from the SPS VUI (2: unspecified)
    int full_range;                 // from the SPS VUI
} kimi_hevc_picture;

typedef struct kimi_hevc kimi_hevc;

/// Loads libde265 once. 0 on success; otherwise -1 with the reason in `error`.
int kimi_hevc_load(char *error, size_t error_size);

/// A decoder with `threads` libde265 workers (0: it decodes on the calling thread). NULL when libde265 is not loaded or
/// memory is short.
kimi_hevc *kimi_hevc_new(int threads);

/// Decodes one picture: the parameter sets of an `hvcC` box body (`config`, its NAL arrays with
/// 2-byte lengths), then `data`, NAL units each preceded by a big-endian length of the size the
/// hvcC says (1, 2 or 4 bytes). 0 and `*out` filled on success; otherwise -1 with a message.
int kimi_hevc_decode(kimi_hevc *decoder, const uint8_t *config, size_t config_size, const uint8_t *data, size_t size,
                     kimi_hevc_picture *out, char *error, size_t error_size);

void kimi_hevc_free(kimi_hevc *decoder);
#endif

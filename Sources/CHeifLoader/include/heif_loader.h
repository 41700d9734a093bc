#ifndef KIMI_HEIF_LOADER_H
#define KIMI_HEIF_LOADER_H
// libheif (HEIC/HEIF and AVIF), loaded on first use (dlopen) instead of linked, for the reason
// FFmpeg is (ffmpeg_loader.h): linking it maps libde265, dav1d, libaom and x265 into every process,
// image-only runs included. Every libheif function kimi-media calls is listed once below.
#include <stddef.h>
#include <stdint.h>
#include <libheif/heif.h>

// X(return type, name, parameters, arguments)
#define KIMI_HEIF_FUNCTIONS(X) \
    X(struct heif_context *, heif_context_alloc, (void), ()) \
    X(struct heif_error, heif_context_read_from_memory_without_copy, (struct heif_context *ctx, const void *mem, size_t size, const struct heif_reading_options *options), (ctx, mem, size, options)) \
    X(struct heif_error, heif_context_get_primary_image_handle, (struct heif_context *ctx, struct heif_image_handle **handle), (ctx, handle)) \
    X(int, heif_context_get_number_of_top_level_images, (struct heif_context *ctx), (ctx)) \
    X(int, heif_image_handle_get_width, (const struct heif_image_handle *handle), (handle)) \
    X(int, heif_image_handle_get_height, (const struct heif_image_handle *handle), (handle)) \
    X(int, heif_image_handle_get_ispe_width, (const struct heif_image_handle *handle), (handle)) \
    X(int, heif_image_handle_get_ispe_height, (const struct heif_image_handle *handle), (handle)) \
    X(int, heif_image_handle_has_alpha_channel, (const struct heif_image_handle *handle), (handle)) \
    X(int, heif_image_handle_get_luma_bits_per_pixel, (const struct heif_image_handle *handle), (handle)) \
    X(struct heif_decoding_options *, heif_decoding_options_alloc, (void), ()) \
    X(struct heif_error, heif_decode_image, (const struct heif_image_handle *in_handle, struct heif_image **out_img, enum heif_colorspace colorspace, enum heif_chroma chroma, const struct heif_decoding_options *options), (in_handle, out_img, colorspace, chroma, options)) \
    X(const uint8_t *, heif_image_get_plane_readonly, (const struct heif_image *image, enum heif_channel channel, int *out_stride), (image, channel, out_stride)) \
    X(int, heif_image_get_width, (const struct heif_image *image, enum heif_channel channel), (image, channel)) \
    X(int, heif_image_get_height, (const struct heif_image *image, enum heif_channel channel), (image, channel))

#define KIMI_HEIF_VOID_FUNCTIONS(X) \
    X(heif_context_free, (struct heif_context *ctx), (ctx)) \
    X(heif_context_set_maximum_image_size_limit, (struct heif_context *ctx, int maximum_width), (ctx, maximum_width)) \
    X(heif_image_handle_release, (const struct heif_image_handle *handle), (handle)) \
    X(heif_decoding_options_free, (struct heif_decoding_options *options), (options)) \
    X(heif_image_release, (const struct heif_image *image), (image))

#define KIMI_HEIF_DECLARE(ret, name, params, args) ret kimi_##name params;
#define KIMI_HEIF_DECLARE_VOID(name, params, args) void kimi_##name params;
KIMI_HEIF_FUNCTIONS(KIMI_HEIF_DECLARE)
KIMI_HEIF_VOID_FUNCTIONS(KIMI_HEIF_DECLARE_VOID)
#undef KIMI_HEIF_DECLARE
#undef KIMI_HEIF_DECLARE_VOID

/// Loads libheif (the soname of the header we were built with) and resolves every function above,
/// once. 0 on success; otherwise -1 with the reason in `error`.
int kimi_heif_load(char *error, size_t error_size);

/// Sets the decoding options kimi-media uses: transformations (irot, imir, clap) applied, HDR
/// pictures converted to 8 bits.
void kimi_heif_configure_decoding(struct heif_decoding_options *options);
#endif

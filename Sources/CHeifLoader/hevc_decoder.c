#include "hevc_decoder.h"

#include <library_loader.h>
#include <libde265/de265.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

// Debian 12 ships libde265 1.0.11 as libde265.so.0 (the VUI colour accessors need 1.0.7).
static const char *const kimi_de265_soname = "libde265.so.0";

#define KIMI_DE265_FUNCTIONS(X) \
    X(de265_decoder_context *, de265_new_decoder, (void)) \
    X(de265_error, de265_start_worker_threads, (de265_decoder_context *, int)) \
    X(de265_error, de265_free_decoder, (de265_decoder_context *)) \
    X(de265_error, de265_push_NAL, (de265_decoder_context *, const void *, int, de265_PTS, void *)) \
    X(de265_error, de265_flush_data, (de265_decoder_context *)) \
    X(de265_error, de265_decode, (de265_decoder_context *, int *)) \
    X(const struct de265_image *, de265_get_next_picture, (de265_decoder_context *)) \
    X(void, de265_release_next_picture, (de265_decoder_context *)) \
    X(const char *, de265_get_error_text, (de265_error)) \
    X(de265_error, de265_get_warning, (de265_decoder_context *)) \
    X(int, de265_get_image_width, (const struct de265_image *, int)) \
    X(int, de265_get_image_height, (const struct de265_image *, int)) \
    X(enum de265_chroma, de265_get_chroma_format, (const struct de265_image *)) \
    X(int, de265_get_bits_per_pixel, (const struct de265_image *, int)) \
    X(const uint8_t *, de265_get_image_plane, (const struct de265_image *, int, int *)) \
    X(int, de265_get_image_full_range_flag, (const struct de265_image *)) \
    X(int, de265_get_image_matrix_coefficients, (const struct de265_image *))

#define KIMI_DE265_POINTER(ret, name, params) static ret (*p_##name) params;
KIMI_DE265_FUNCTIONS(KIMI_DE265_POINTER)

#define KIMI_DE265_SYMBOL(ret, name, params) {#name, (void **)&p_##name, 0},
static const kimi_symbol kimi_de265_symbols[] = {KIMI_DE265_FUNCTIONS(KIMI_DE265_SYMBOL)};

static pthread_once_t kimi_de265_once = PTHREAD_ONCE_INIT;
static int kimi_de265_status = -1;
static char kimi_de265_error[512] = "libde265 was not loaded";

static void kimi_de265_load_once(void) {
    kimi_de265_status = kimi_libraries_load(&kimi_de265_soname, 1, kimi_de265_symbols,
                                            (int)(sizeof kimi_de265_symbols / sizeof kimi_de265_symbols[0]),
                                            "HEIC's fast path needs libde265 (Debian/Ubuntu: apt-get install libde265-0)",
                                            kimi_de265_error, sizeof kimi_de265_error);
}

int kimi_hevc_load(char *error, size_t error_size) {
    pthread_once(&kimi_de265_once, kimi_de265_load_once);
    if (kimi_de265_status != 0 && error && error_size > 0) snprintf(error, error_size, "%s", kimi_de265_error);
    return kimi_de265_status;
}

struct kimi_hevc {
    de265_decoder_context *context;
    int holds_picture;
};

kimi_hevc *kimi_hevc_new(int threads) {
    if (kimi_hevc_load(NULL, 0) != 0) return NULL;
    kimi_hevc *decoder = calloc(1, sizeof *decoder);
    if (!decoder) return NULL;
    decoder->context = p_de265_new_decoder();
    if (!decoder->context) {
        free(decoder);
        return NULL;
    }
    // No workers: libde265 decodes on the calling thread (a grid's tiles, one per worker of ours).
    if (threads > 0) p_de265_start_worker_threads(decoder->context, threads);
    return decoder;
}

void kimi_hevc_free(kimi_hevc *decoder) {
    if (!decoder) return;
    if (decoder->holds_picture) p_de265_release_next_picture(decoder->context);
    p_de265_free_decoder(decoder->context);
    free(decoder);
}

static int fail(char *error, size_t error_size, const char *message) {
    if (error && error_size > 0) snprintf(error, error_size, "%s", message);
    return -1;
}

static uint32_t read_be(const uint8_t *p, int bytes) {
    uint32_t value = 0;
    for (int i = 0; i < bytes; i++) value = value << 8 | p[i];
    return value;
}

int kimi_hevc_decode(kimi_hevc *decoder, const uint8_t *config, size_t config_size, const uint8_t *data, size_t size,
                     kimi_hevc_picture *out, char *error, size_t error_size) {
    if (decoder->holds_picture) return fail(error, error_size, "the decoder already holds a picture");
    // hvcC: 22 bytes of profile and format fields (byte 21: lengthSizeMinusOne in its low bits),
    // then numOfArrays and the arrays of parameter-set NAL units, each with a 2-byte length.
    if (config_size < 23) return fail(error, error_size, "the hvcC box is too short");
    int length_size = (config[21] & 3) + 1;
    if (length_size == 3) return fail(error, error_size, "the hvcC box declares 3-byte NAL lengths");
    size_t at = 23;
    for (int array = 0, arrays = config[22]; array < arrays; array++) {
        if (at + 3 > config_size) return fail(error, error_size, "the hvcC box ends inside its NAL arrays");
        int count = (int)read_be(config + at + 1, 2);
        at += 3;
        for (int i = 0; i < count; i++) {
            if (at + 2 > config_size) return fail(error, error_size, "the hvcC box ends inside its NAL arrays");
            size_t length = read_be(config + at, 2);
            at += 2;
            if (length > config_size - at) return fail(error, error_size, "an hvcC parameter set runs past the box");
            if (p_de265_push_NAL(decoder->context, config + at, (int)length, 0, NULL) != DE265_OK)
                return fail(error, error_size, "libde265 refused a parameter set");
            at += length;
        }
    }
    for (size_t p = 0; p < size;) {
        if ((size_t)length_size > size - p) return fail(error, error_size, "the image data ends inside a NAL length");
        size_t length = read_be(data + p, length_size);
        p += (size_t)length_size;
        if (length > size - p || length > INT32_MAX) return fail(error, error_size, "a NAL unit runs past the image data");
        if (p_de265_push_NAL(decoder->context, data + p, (int)length, 0, NULL) != DE265_OK)
            return fail(error, error_size, "libde265 refused a NAL unit");
        p += length;
    }
    p_de265_flush_data(decoder->context);
    const struct de265_image *image = NULL;
    int more = 1;
    while (more && !image) {
        more = 0;
        de265_error status = p_de265_decode(decoder->context, &more);
        if (status != DE265_OK && status != DE265_ERROR_WAITING_FOR_INPUT_DATA) {
            if (error && error_size > 0) snprintf(error, error_size, "libde265: %s", p_de265_get_error_text(status));
            return -1;
        }
        image = p_de265_get_next_picture(decoder->context);
    }
    if (!image) {
        // libde265 conceals damage and reports it as warnings: the first one says why no picture came.
        de265_error warning = p_de265_get_warning(decoder->context);
        if (warning != DE265_OK && error && error_size > 0) {
            snprintf(error, error_size, "libde265 decoded no picture: %s", p_de265_get_error_text(warning));
            return -1;
        }
        return fail(error, error_size, "libde265 decoded no picture");
    }
    decoder->holds_picture = 1;
    out->chroma_format = (int)p_de265_get_chroma_format(image);
    out->bit_depth = p_de265_get_bits_per_pixel(image, 0);
    out->chroma_bit_depth = out->chroma_format == 0 ? out->bit_depth : p_de265_get_bits_per_pixel(image, 1);
    out->width = p_de265_get_image_width(image, 0);
    out->height = p_de265_get_image_height(image, 0);
    out->chroma_width = out->chroma_format == 0 ? 0 : p_de265_get_image_width(image, 1);
    out->chroma_height = out->chroma_format == 0 ? 0 : p_de265_get_image_height(image, 1);
    for (int c = 0; c < 3; c++) {
        out->plane[c] = NULL;
        out->stride[c] = 0;
        if (c == 0 || out->chroma_format != 0) out->plane[c] = p_de265_get_image_plane(image, c, &out->stride[c]);
    }
    out->matrix_coefficients = p_de265_get_image_matrix_coefficients(image);
    out->full_range = p_de265_get_image_full_range_flag(image);
    return 0;
}

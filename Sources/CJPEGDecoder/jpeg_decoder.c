#include "jpeg_decoder.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *error;
    size_t error_size;
    int warnings;
} kimi_jpeg_error;

static void kimi_jpeg_fail(j_common_ptr cinfo) {
    kimi_jpeg_error *e = (kimi_jpeg_error *)cinfo->err;
    if (e->error && e->error_size) (*cinfo->err->format_message)(cinfo, e->error);
    longjmp(e->jump, 1);
}

static void kimi_jpeg_message(j_common_ptr cinfo, int level) {
    kimi_jpeg_error *e = (kimi_jpeg_error *)cinfo->err;
    if (level < 0) {
        // The first warning is kept: it says what was wrong ("Corrupt JPEG data: …").
        if (!e->warnings && e->error && e->error_size >= JMSG_LENGTH_MAX) (*cinfo->err->format_message)(cinfo, e->error);
        e->warnings++;
    }
}

static void kimi_jpeg_setup(struct jpeg_decompress_struct *cinfo, kimi_jpeg_error *e, char *error, size_t error_size) {
    cinfo->err = jpeg_std_error(&e->base);
    e->base.error_exit = kimi_jpeg_fail;
    e->base.emit_message = kimi_jpeg_message;
    e->error = error_size >= JMSG_LENGTH_MAX ? error : NULL;
    e->error_size = error_size;
    e->warnings = 0;
    if (error && error_size) error[0] = 0;
}

// After the caller's setjmp: the decompressor reading `data`, its header read (errors longjmp back).
static void kimi_jpeg_open(struct jpeg_decompress_struct *cinfo, const uint8_t *data, size_t size) {
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);
}

int kimi_jpeg_read_header(const uint8_t *data, size_t size, int scale_denominator, int *width, int *height,
                          int *components, char *error, size_t error_size) {
    struct jpeg_decompress_struct cinfo;
    kimi_jpeg_error e;
    kimi_jpeg_setup(&cinfo, &e, error, error_size);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    kimi_jpeg_open(&cinfo, data, size);
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)scale_denominator;
    jpeg_calc_output_dimensions(&cinfo);
    *width = (int)cinfo.output_width;
    *height = (int)cinfo.output_height;
    *components = cinfo.num_components;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int kimi_jpeg_decode_rgb(const uint8_t *data, size_t size, int scale_denominator, uint8_t *pixels, size_t stride,
                         int width, int height, char *error, size_t error_size) {
    struct jpeg_decompress_struct cinfo;
    kimi_jpeg_error e;
    JSAMPARRAY cmyk_row = NULL;
    kimi_jpeg_setup(&cinfo, &e, error, error_size);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    kimi_jpeg_open(&cinfo, data, size);
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)scale_denominator;
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    if ((int)cinfo.output_width != width || (int)cinfo.output_height != height) {
        if (error && error_size) snprintf(error, error_size, "output size %ux%u, expected %dx%d", cinfo.output_width,
                                          cinfo.output_height, width, height);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    if (cmyk) cmyk_row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, (JDIMENSION)width * 4, 1);
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = pixels + (size_t)cinfo.output_scanline * stride;
        if (cmyk) {
            jpeg_read_scanlines(&cinfo, cmyk_row, 1);
            const uint8_t *s = cmyk_row[0];
            // Adobe CMYK JPEGs store inverted inks: R = C'·K'/255.
            for (int x = 0; x < width; x++) {
                unsigned k = s[x * 4 + 3];
                for (int c = 0; c < 3; c++) row[x * 3 + c] = (uint8_t)((s[x * 4 + c] * k + 127) / 255);
            }
        } else {
            JSAMPROW rows[1] = {row};
            jpeg_read_scanlines(&cinfo, rows, 1);
        }
    }
    jpeg_finish_decompress(&cinfo);
    int warned = e.warnings > 0;
    jpeg_destroy_decompress(&cinfo);
    return warned ? 1 : 0;
}

// The stored planes of a plain YCbCr or gray JPEG at full size (raw data: no colour conversion,
// no upsampling), for decoding while the planes are resized. -2 for any other JPEG (CMYK, YCCK,
// RGB-coded, other component counts), which the caller decodes the usual way.
static int kimi_jpeg_raw_capable(struct jpeg_decompress_struct *cinfo) {
    if (cinfo->num_components == 1) return cinfo->jpeg_color_space == JCS_GRAYSCALE;
    return cinfo->num_components == 3 && cinfo->jpeg_color_space == JCS_YCbCr;
}

int kimi_jpeg_plane_layout(const uint8_t *data, size_t size, int *components, int *widths, int *heights, int *strides,
                           int *rows_per_imcu, char *error, size_t error_size) {
    struct jpeg_decompress_struct cinfo;
    kimi_jpeg_error e;
    kimi_jpeg_setup(&cinfo, &e, error, error_size);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    kimi_jpeg_open(&cinfo, data, size);
    if (!kimi_jpeg_raw_capable(&cinfo)) {
        jpeg_destroy_decompress(&cinfo);
        return -2;
    }
    cinfo.raw_data_out = TRUE;
    jpeg_calc_output_dimensions(&cinfo);
    *components = cinfo.num_components;
    for (int i = 0; i < cinfo.num_components; i++) {
        jpeg_component_info *c = &cinfo.comp_info[i];
        widths[i] = (int)(((long)cinfo.image_width * c->h_samp_factor + cinfo.max_h_samp_factor - 1) / cinfo.max_h_samp_factor);
        heights[i] = (int)(((long)cinfo.image_height * c->v_samp_factor + cinfo.max_v_samp_factor - 1) / cinfo.max_v_samp_factor);
        // Raw rows are written whole blocks wide (up to the MCU's width at the right edge).
        long blocks = ((long)cinfo.image_width * c->h_samp_factor + cinfo.max_h_samp_factor * DCTSIZE - 1)
                      / (cinfo.max_h_samp_factor * DCTSIZE);
        long mcu_blocks = (blocks + c->h_samp_factor - 1) / c->h_samp_factor * c->h_samp_factor;
        strides[i] = (int)(mcu_blocks * DCTSIZE);
        rows_per_imcu[i] = c->v_samp_factor * DCTSIZE;
    }
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

// Whether the file is a progressive Huffman JPEG whose planes are YCbCr or gray (what
// kimi_jpeg_progressive_planes may take).
static int kimi_jpeg_progressive_raw(const uint8_t *data, size_t size) {
    struct jpeg_decompress_struct cinfo;
    kimi_jpeg_error e;
    kimi_jpeg_setup(&cinfo, &e, NULL, 0);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    kimi_jpeg_open(&cinfo, data, size);
    int result = kimi_jpeg_raw_capable(&cinfo) && cinfo.progressive_mode && !cinfo.arith_code && cinfo.data_precision == 8;
    jpeg_destroy_decompress(&cinfo);
    return result;
}

static int kimi_jpeg_decode_planes_libjpeg(const uint8_t *data, size_t size, uint8_t *const *planes, const int *strides,
                                           const int *heights, const int *ring_rows, void *context,
                                           void (*progress)(void *context, int imcu_rows), char *error, size_t error_size);

int kimi_jpeg_decode_planes(const uint8_t *data, size_t size, int threads, uint8_t *const *planes, const int *strides,
                            const int *heights, const int *ring_rows, void *context, void (*progress)(void *context, int imcu_rows),
                            char *error, size_t error_size) {
    if (threads > 1 && kimi_jpeg_progressive_raw(data, size)) {
        int status = kimi_jpeg_progressive_planes(data, size, threads, planes, strides, heights, ring_rows, context, progress);
        if (status != -2) {
            if (error && error_size) error[0] = 0;
            return status;
        }
    }
    return kimi_jpeg_decode_planes_libjpeg(data, size, planes, strides, heights, ring_rows, context, progress, error, error_size);
}

static int kimi_jpeg_decode_planes_libjpeg(const uint8_t *data, size_t size, uint8_t *const *planes, const int *strides,
                                           const int *heights, const int *ring_rows, void *context,
                                           void (*progress)(void *context, int imcu_rows), char *error, size_t error_size) {
    struct jpeg_decompress_struct cinfo;
    kimi_jpeg_error e;
    uint8_t *scratch = NULL;
    kimi_jpeg_setup(&cinfo, &e, error, error_size);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(scratch);
        return -1;
    }
    kimi_jpeg_open(&cinfo, data, size);
    if (!kimi_jpeg_raw_capable(&cinfo)) {
        jpeg_destroy_decompress(&cinfo);
        return -2;
    }
    cinfo.raw_data_out = TRUE;
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    int widest = 0;
    for (int i = 0; i < cinfo.num_components; i++) if (strides[i] > widest) widest = strides[i];
    // Rows of the last iMCU row past a plane's height land here.
    scratch = malloc((size_t)widest);
    if (!scratch) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    JSAMPROW rows[3][4 * DCTSIZE];
    JSAMPARRAY arrays[3];
    int imcu = 0;
    int lines = cinfo.max_v_samp_factor * DCTSIZE;
    while (cinfo.output_scanline < cinfo.output_height) {
        for (int i = 0; i < cinfo.num_components; i++) {
            int per = cinfo.comp_info[i].v_samp_factor * DCTSIZE;
            for (int r = 0; r < per && r < 4 * DCTSIZE; r++) {
                long y = (long)imcu * per + r;
                long slot = ring_rows[i] > 0 ? y % ring_rows[i] : y;
                rows[i][r] = y < heights[i] ? planes[i] + slot * strides[i] : scratch;
            }
            arrays[i] = rows[i];
        }
        if (jpeg_read_raw_data(&cinfo, arrays, (JDIMENSION)lines) == 0) break;  // suspended: cannot happen from memory
        imcu++;
        if (progress) progress(context, imcu);
    }
    jpeg_finish_decompress(&cinfo);
    int warned = e.warnings > 0;
    jpeg_destroy_decompress(&cinfo);
    free(scratch);
    return warned ? 1 : 0;
}

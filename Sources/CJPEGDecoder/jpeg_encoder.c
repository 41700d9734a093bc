#include "jpeg_decoder.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

// A baseline JPEG written from planes iMCU row by iMCU row, so that it can be written while the
// planes are still being made (a streaming resize). The settings and samples are those of
// TurboJPEG's tjCompressFromYUVPlanes with TJFLAG_ACCURATEDCT (libjpeg defaults, the quality's
// tables, the accurate integer DCT, YCbCr 4:2:0 or gray, a JFIF header), edges padded as it pads
// them: the last sample of a row repeated out to whole blocks, the last row down to the iMCU row.

struct kimi_jpeg_writer {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr err;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];  // the last error
    int created;
    int components;
    int plane_heights[3];
    int padded_heights[3];  // TurboJPEG's plane heights: luma to an even height for 4:2:0
    int plane_widths[3];
    int block_widths[3];  // samples per row the compressor reads: whole blocks
    int next_row;         // luma rows written so far (a multiple of the iMCU height)
    JSAMPROW rows[3][2 * DCTSIZE];
    uint8_t *padding[3];  // one iMCU row of a component, whole blocks wide, when its width needs padding
    unsigned char *out;
    unsigned long size;
};

static void kimi_writer_fail(j_common_ptr cinfo) {
    kimi_jpeg_writer *w = (kimi_jpeg_writer *)((char *)cinfo - offsetof(kimi_jpeg_writer, cinfo));
    (*cinfo->err->format_message)(cinfo, w->message);
    longjmp(w->jump, 1);
}

static void kimi_writer_release(kimi_jpeg_writer *w) {
    if (w->created) jpeg_destroy_compress(&w->cinfo);
    for (int i = 0; i < 3; i++) free(w->padding[i]);
    free(w->out);
    free(w);
}

kimi_jpeg_writer *kimi_jpeg_writer_begin(int width, int height, int components, int quality, char *error, size_t error_size) {
    if (error && error_size) error[0] = 0;
    if (width <= 0 || height <= 0 || (components != 1 && components != 3)) {
        if (error && error_size) snprintf(error, error_size, "cannot write a %dx%d JPEG of %d components", width, height, components);
        return NULL;
    }
    kimi_jpeg_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->components = components;
    w->cinfo.err = jpeg_std_error(&w->err);
    w->err.error_exit = kimi_writer_fail;
    if (setjmp(w->jump)) {
        if (error && error_size) snprintf(error, error_size, "%s", w->message);
        kimi_writer_release(w);
        return NULL;
    }
    jpeg_create_compress(&w->cinfo);
    w->created = 1;
    jpeg_mem_dest(&w->cinfo, &w->out, &w->size);
    w->cinfo.image_width = (JDIMENSION)width;
    w->cinfo.image_height = (JDIMENSION)height;
    w->cinfo.in_color_space = JCS_RGB;
    w->cinfo.input_components = 3;
    jpeg_set_defaults(&w->cinfo);
    jpeg_set_quality(&w->cinfo, quality, TRUE);
    w->cinfo.dct_method = JDCT_ISLOW;
    jpeg_set_colorspace(&w->cinfo, components == 1 ? JCS_GRAYSCALE : JCS_YCbCr);
    int sub = components == 3 ? 2 : 1;
    w->cinfo.comp_info[0].h_samp_factor = sub;
    w->cinfo.comp_info[0].v_samp_factor = sub;
    for (int i = 1; i < components; i++) {
        w->cinfo.comp_info[i].h_samp_factor = 1;
        w->cinfo.comp_info[i].v_samp_factor = 1;
    }
    w->cinfo.raw_data_in = TRUE;
    jpeg_start_compress(&w->cinfo, TRUE);
    for (int i = 0; i < components; i++) {
        jpeg_component_info *c = &w->cinfo.comp_info[i];
        int s = i == 0 ? 1 : sub;
        w->plane_widths[i] = (width + s - 1) / s;
        w->plane_heights[i] = (height + s - 1) / s;
        w->padded_heights[i] = (height + sub - 1) / sub * sub / s;
        w->block_widths[i] = (int)c->width_in_blocks * DCTSIZE;
        if (w->block_widths[i] > w->plane_widths[i]) {
            w->padding[i] = malloc((size_t)w->block_widths[i] * c->v_samp_factor * DCTSIZE);
            if (!w->padding[i]) {
                if (error && error_size) snprintf(error, error_size, "out of memory");
                kimi_writer_release(w);
                return NULL;
            }
        }
    }
    return w;
}

int kimi_jpeg_writer_write(kimi_jpeg_writer *w, const uint8_t *const *planes, const int *strides, const int *available) {
    if (setjmp(w->jump)) return -1;
    int height = (int)w->cinfo.image_height, step = w->cinfo.max_v_samp_factor * DCTSIZE;
    while (w->next_row < height) {
        int row = w->next_row;
        for (int i = 0; i < w->components; i++) {
            int per = w->cinfo.comp_info[i].v_samp_factor * DCTSIZE, first = row * w->cinfo.comp_info[i].v_samp_factor / w->cinfo.max_v_samp_factor;
            int last = first + per < w->plane_heights[i] ? first + per : w->plane_heights[i];
            if (available[i] < last) return w->next_row;  // this iMCU row's rows are not all in place yet
        }
        for (int i = 0; i < w->components; i++) {
            int per = w->cinfo.comp_info[i].v_samp_factor * DCTSIZE, first = row * w->cinfo.comp_info[i].v_samp_factor / w->cinfo.max_v_samp_factor;
            for (int j = 0; j < per; j++) {
                int r = first + j < w->padded_heights[i] ? first + j : w->padded_heights[i] - 1;  // the last row repeated
                if (r >= w->plane_heights[i]) r = w->plane_heights[i] - 1;  // 4:2:0 luma of odd height: its last row again
                const uint8_t *source = planes[i] + (long)r * strides[i];
                if (w->padding[i]) {
                    uint8_t *padded = w->padding[i] + (size_t)j * w->block_widths[i];
                    memcpy(padded, source, (size_t)w->plane_widths[i]);
                    memset(padded + w->plane_widths[i], source[w->plane_widths[i] - 1], (size_t)(w->block_widths[i] - w->plane_widths[i]));
                    w->rows[i][j] = padded;
                } else {
                    w->rows[i][j] = (JSAMPROW)source;
                }
            }
        }
        JSAMPARRAY arrays[3] = {w->rows[0], w->rows[1], w->rows[2]};
        jpeg_write_raw_data(&w->cinfo, arrays, (JDIMENSION)step);
        w->next_row += step;
    }
    return height;
}

int kimi_jpeg_writer_finish(kimi_jpeg_writer *w, const uint8_t **bytes, unsigned long *size) {
    if (setjmp(w->jump)) return -1;
    if (w->next_row < (int)w->cinfo.image_height) {
        snprintf(w->message, sizeof w->message, "finished after %d of %u rows", w->next_row, w->cinfo.image_height);
        return -1;
    }
    jpeg_finish_compress(&w->cinfo);
    *bytes = w->out;
    *size = w->size;
    return 0;
}

const char *kimi_jpeg_writer_error(const kimi_jpeg_writer *w) { return w->message; }

void kimi_jpeg_writer_free(kimi_jpeg_writer *w) {
    if (w) kimi_writer_release(w);
}

#include "tiff_decoder.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

typedef struct {
    const uint8_t *data;
    toff_t size;
    toff_t offset;
} kimi_tiff_memory;

typedef struct {
    char *text;
    size_t size;
} kimi_tiff_message;

static tmsize_t kimi_tiff_read(thandle_t handle, void *buffer, tmsize_t count) {
    kimi_tiff_memory *m = (kimi_tiff_memory *)handle;
    if (count <= 0 || m->offset >= m->size) return 0;
    toff_t n = (toff_t)count > m->size - m->offset ? m->size - m->offset : (toff_t)count;
    memcpy(buffer, m->data + m->offset, (size_t)n);
    m->offset += n;
    return (tmsize_t)n;
}

static tmsize_t kimi_tiff_write(thandle_t handle, void *buffer, tmsize_t count) {
    (void)handle; (void)buffer; (void)count;
    return -1;
}

static toff_t kimi_tiff_seek(thandle_t handle, toff_t offset, int whence) {
    kimi_tiff_memory *m = (kimi_tiff_memory *)handle;
    toff_t base = whence == SEEK_CUR ? m->offset : whence == SEEK_END ? m->size : 0;
    m->offset = base + offset;
    return m->offset;
}

static int kimi_tiff_close(thandle_t handle) { (void)handle; return 0; }
static toff_t kimi_tiff_size(thandle_t handle) { return ((kimi_tiff_memory *)handle)->size; }

static int kimi_tiff_error(TIFF *tif, void *user, const char *module, const char *format, va_list args) {
    (void)tif;
    kimi_tiff_message *m = (kimi_tiff_message *)user;
    if (m && m->text && m->size && !m->text[0]) {  // the first error says most
        int n = module ? snprintf(m->text, m->size, "%s: ", module) : 0;
        if (n >= 0 && (size_t)n < m->size) vsnprintf(m->text + n, m->size - (size_t)n, format, args);
    }
    return 1;
}

static int kimi_tiff_quiet(TIFF *tif, void *user, const char *module, const char *format, va_list args) {
    (void)tif; (void)user; (void)module; (void)format; (void)args;
    return 1;  // warnings (unknown tags, …) do not stop a decode
}

/// Opens the memory file; on failure NULL with a message (libtiff's, or a default).
static TIFF *kimi_tiff_open(kimi_tiff_memory *memory, kimi_tiff_message *message) {
    if (message->text && message->size) message->text[0] = 0;
    TIFF *tif = NULL;
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (options) {
        TIFFOpenOptionsSetErrorHandlerExtR(options, kimi_tiff_error, message);
        TIFFOpenOptionsSetWarningHandlerExtR(options, kimi_tiff_quiet, NULL);
        // No single allocation above 2 GiB, whatever a header claims (the caller checks pixels first).
        TIFFOpenOptionsSetMaxSingleMemAlloc(options, (tmsize_t)1 << 31);
        tif = TIFFClientOpenExt("memory", "rm", (thandle_t)memory, kimi_tiff_read, kimi_tiff_write, kimi_tiff_seek,
                                kimi_tiff_close, kimi_tiff_size, NULL, NULL, options);
        TIFFOpenOptionsFree(options);
    }
    if (!tif && message->text && message->size && !message->text[0]) snprintf(message->text, message->size, "not a readable TIFF");
    return tif;
}

int kimi_tiff_header(const uint8_t *data, size_t size, int *width, int *height, int *orientation, int *samples,
                     int *bits, int *alpha, int *readable, char *error, size_t error_size) {
    kimi_tiff_memory memory = {data, (toff_t)size, 0};
    kimi_tiff_message message = {error, error_size};
    TIFF *tif = kimi_tiff_open(&memory, &message);
    if (!tif) return -1;
    uint32_t w = 0, h = 0;
    uint16_t o = ORIENTATION_TOPLEFT, spp = 1, bps = 1, extra = 0;
    uint16_t *extraTypes = NULL;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &o);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra, &extraTypes);
    char why[1024] = {0};
    *width = (int)(w > INT32_MAX ? INT32_MAX : w);
    *height = (int)(h > INT32_MAX ? INT32_MAX : h);
    *orientation = o >= 1 && o <= 8 ? o : 1;
    *samples = spp;
    *bits = bps;
    *alpha = extra > 0;
    *readable = TIFFRGBAImageOK(tif, why);
    if (!*readable && error && error_size) snprintf(error, error_size, "%s", why);
    TIFFClose(tif);
    return 0;
}

int kimi_tiff_decode_rgba(const uint8_t *data, size_t size, uint8_t *pixels, int width, int height,
                          char *error, size_t error_size) {
    kimi_tiff_memory memory = {data, (toff_t)size, 0};
    kimi_tiff_message message = {error, error_size};
    TIFF *tif = kimi_tiff_open(&memory, &message);
    if (!tif) return -1;
    // ORIENTATION_TOPLEFT: rows top first, in the stored orientation (the Orientation tag is
    // applied by the caller, as for JPEG's EXIF tag).
    int ok = TIFFReadRGBAImageOriented(tif, (uint32_t)width, (uint32_t)height, (uint32_t *)pixels, ORIENTATION_TOPLEFT, 0);
    TIFFClose(tif);
    if (!ok) {
        if (error && error_size && !error[0]) snprintf(error, error_size, "TIFFReadRGBAImageOriented failed");
        return -1;
    }
    return 0;
}

static double kimi_tiff_sample(const uint8_t *row, int x, int bits, int format) {
    if (bits == 32) {
        if (format == SAMPLEFORMAT_IEEEFP) return ((const float *)row)[x];
        if (format == SAMPLEFORMAT_INT) return ((const int32_t *)row)[x];
        return ((const uint32_t *)row)[x];
    }
    if (format == SAMPLEFORMAT_IEEEFP) return ((const double *)row)[x];
    if (format == SAMPLEFORMAT_INT) return (double)((const int64_t *)row)[x];
    return (double)((const uint64_t *)row)[x];
}

int kimi_tiff_decode_gray_wide(const uint8_t *data, size_t size, uint8_t *pixels, int width, int height,
                               char *error, size_t error_size) {
    kimi_tiff_memory memory = {data, (toff_t)size, 0};
    kimi_tiff_message message = {error, error_size};
    TIFF *tif = kimi_tiff_open(&memory, &message);
    if (!tif) return -1;
    uint16_t spp = 1, bps = 0, format = SAMPLEFORMAT_UINT;
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    tmsize_t line = TIFFScanlineSize(tif);
    if (spp != 1 || (bps != 32 && bps != 64) || TIFFIsTiled(tif) || line < (tmsize_t)width * (bps / 8)) {
        if (error && error_size && !error[0]) snprintf(error, error_size, "%u samples of %u bits are not read", spp, bps);
        TIFFClose(tif);
        return -1;
    }
    double *values = malloc((size_t)width * (size_t)height * sizeof(double));
    uint8_t *row = malloc((size_t)line);
    int status = values && row ? 0 : -1;
    double low = INFINITY, high = -INFINITY;
    for (int y = 0; status == 0 && y < height; y++) {
        if (TIFFReadScanline(tif, row, (uint32_t)y, 0) < 0) {
            status = -1;
            break;
        }
        for (int x = 0; x < width; x++) {
            double v = kimi_tiff_sample(row, x, bps, format);
            values[(size_t)y * width + x] = v;
            if (isfinite(v)) {
                if (v < low) low = v;
                if (v > high) high = v;
            }
        }
    }
    if (status == 0) {
        double scale = high > low ? 255.0 / (high - low) : 0;
        for (size_t i = 0; i < (size_t)width * (size_t)height; i++) {
            double v = values[i];
            pixels[i] = isfinite(v) ? (uint8_t)lround((v - low) * scale) : (v > 0 ? 255 : 0);
        }
    } else if (error && error_size && !error[0]) {
        snprintf(error, error_size, "cannot read the samples");
    }
    free(values);
    free(row);
    TIFFClose(tif);
    return status;
}

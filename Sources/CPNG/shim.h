#ifndef KIMI_CPNG_SHIM_H
#define KIMI_CPNG_SHIM_H
// libpng 1.6 simplified API (png_image_*), which reports errors by status, never by longjmp.
#include <png.h>

static const png_uint_32 KIMI_PNG_IMAGE_VERSION = PNG_IMAGE_VERSION;
static const png_uint_32 KIMI_PNG_FORMAT_FLAG_ALPHA = PNG_FORMAT_FLAG_ALPHA;
static const png_uint_32 KIMI_PNG_FORMAT_FLAG_COLOR = PNG_FORMAT_FLAG_COLOR;
static const png_uint_32 KIMI_PNG_FORMAT_FLAG_LINEAR = PNG_FORMAT_FLAG_LINEAR;
static const png_uint_32 KIMI_PNG_FORMAT_FLAG_COLORMAP = PNG_FORMAT_FLAG_COLORMAP;
static const png_uint_32 KIMI_PNG_FORMAT_RGB = PNG_FORMAT_RGB;
static const png_uint_32 KIMI_PNG_FORMAT_RGBA = PNG_FORMAT_RGBA;
static const png_uint_32 KIMI_PNG_IMAGE_WARNING = PNG_IMAGE_WARNING;
static const png_uint_32 KIMI_PNG_IMAGE_ERROR = PNG_IMAGE_ERROR;
#endif

#ifndef KIMI_CWEBP_SHIM_H
#define KIMI_CWEBP_SHIM_H
// libwebp 1.2.4: decode, encode and the demux API (frames, EXIF chunk).
#include <webp/decode.h>
#include <webp/encode.h>
#include <webp/demux.h>
#include <webp/mux.h>
#endif

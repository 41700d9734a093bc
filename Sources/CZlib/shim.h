#ifndef KIMI_CZLIB_SHIM_H
#define KIMI_CZLIB_SHIM_H
// zlib (zlib1g-dev, already a dependency of libpng-dev): streaming inflate and crc32 for the PNG
// pass-through check (the writer and the fast decoder use libdeflate).
#include <zlib.h>
static const int KIMI_Z_OK = Z_OK;
static const int KIMI_Z_STREAM_END = Z_STREAM_END;
static const int KIMI_Z_NO_FLUSH = Z_NO_FLUSH;
static const int KIMI_Z_BUF_ERROR = Z_BUF_ERROR;
// inflateInit is a macro (it passes the library version and struct size).
static inline int kimi_inflate_init(z_stream *stream) { return inflateInit(stream); }
#endif

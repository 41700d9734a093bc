#ifndef KIMI_CZLIB_SHIM_H
#define KIMI_CZLIB_SHIM_H
// zlib (zlib1g-dev, already a dependency of libpng-dev): one-shot compress2 and crc32 for our PNG writer.
#include <zlib.h>
static const int KIMI_Z_OK = Z_OK;
#endif

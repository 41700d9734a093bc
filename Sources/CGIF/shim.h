#ifndef KIMI_CGIF_SHIM_H
#define KIMI_CGIF_SHIM_H
// giflib 5.2.1 (no pkg-config file on Debian 12: the module map links "gif").
#include <gif_lib.h>

static const int KIMI_GIF_OK = GIF_OK;
static const int KIMI_GIF_ERROR = GIF_ERROR;
#endif

#ifndef KIMI_CTURBOJPEG_SHIM_H
#define KIMI_CTURBOJPEG_SHIM_H
// libjpeg-turbo 2.1.5 TurboJPEG API (tj*). TJSCALED is a macro.
#include <stddef.h>
#include <turbojpeg.h>

static inline int kimi_tjscaled(int dimension, tjscalingfactor factor) { return TJSCALED(dimension, factor); }
#endif

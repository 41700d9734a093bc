#ifndef KIMI_CDEFLATE_SHIM_H
#define KIMI_CDEFLATE_SHIM_H
// libdeflate (libdeflate-dev): whole-buffer zlib inflate and CRC-32 for the PNG fast path, about
// three times zlib's inflate speed.
#include <libdeflate.h>
#endif

#ifndef KIMI_LIBRARY_LOADER_H
#define KIMI_LIBRARY_LOADER_H
// The one way kimi-media loads an optional system library on first use instead of linking it
// (FFmpeg, libheif, libde265: docs/architecture.md says why): each loader lists its functions once
// in an X-macro, makes a kimi_symbol of each (its name, the pointer to fill, which of its libraries
// has it), and calls kimi_libraries_load once (pthread_once).
#include <stddef.h>

typedef struct {
    const char *name;  // the exported symbol
    void **slot;       // where its address goes (a function pointer, written as POSIX's dlsym allows)
    int library;       // index into the sonames given to kimi_libraries_load
} kimi_symbol;

// Opens each of `sonames` (RTLD_NOW | RTLD_LOCAL; never closed) and resolves every symbol into its
// slot. 0, or -1 with `error` saying what failed: dlerror()'s message and then `install` (what to
// install, e.g. "HEIC and AVIF need libheif: install it (Debian/Ubuntu: apt-get install libheif1)")
// for a library that does not open; "<soname> has no <symbol>" for a missing function.
int kimi_libraries_load(const char *const *sonames, int library_count, const kimi_symbol *symbols, int symbol_count,
                        const char *install, char *error, size_t error_size);

#endif

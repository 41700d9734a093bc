#include "heif_loader.h"

#include <library_loader.h>
#include <pthread.h>
#include <stdio.h>

// Debian 12 ships libheif 1.15 as libheif.so.1.
static const char *const kimi_heif_soname = "libheif.so.1";

#define KIMI_HEIF_POINTER(ret, name, params, args) static ret (*kimi_p_##name) params;
#define KIMI_HEIF_POINTER_VOID(name, params, args) static void (*kimi_p_##name) params;
KIMI_HEIF_FUNCTIONS(KIMI_HEIF_POINTER)
KIMI_HEIF_VOID_FUNCTIONS(KIMI_HEIF_POINTER_VOID)

#define KIMI_HEIF_WRAPPER(ret, name, params, args) ret kimi_##name params { return kimi_p_##name args; }
#define KIMI_HEIF_WRAPPER_VOID(name, params, args) void kimi_##name params { kimi_p_##name args; }
KIMI_HEIF_FUNCTIONS(KIMI_HEIF_WRAPPER)
KIMI_HEIF_VOID_FUNCTIONS(KIMI_HEIF_WRAPPER_VOID)

#define KIMI_HEIF_SYMBOL(ret, name, params, args) {#name, (void **)&kimi_p_##name, 0},
#define KIMI_HEIF_SYMBOL_VOID(name, params, args) KIMI_HEIF_SYMBOL(void, name, params, args)
static const kimi_symbol kimi_heif_symbols[] = {KIMI_HEIF_FUNCTIONS(KIMI_HEIF_SYMBOL) KIMI_HEIF_VOID_FUNCTIONS(KIMI_HEIF_SYMBOL_VOID)};

static pthread_once_t kimi_heif_once = PTHREAD_ONCE_INIT;
static int kimi_heif_status = -1;
static char kimi_heif_error[512] = "libheif was not loaded";

static void kimi_heif_load_once(void) {
    kimi_heif_status = kimi_libraries_load(&kimi_heif_soname, 1, kimi_heif_symbols, (int)(sizeof kimi_heif_symbols / sizeof kimi_heif_symbols[0]),
                                           "HEIC and AVIF need libheif: install it (Debian/Ubuntu: apt-get install libheif1)",
                                           kimi_heif_error, sizeof kimi_heif_error);
}

int kimi_heif_load(char *error, size_t error_size) {
    pthread_once(&kimi_heif_once, kimi_heif_load_once);
    if (kimi_heif_status != 0 && error && error_size > 0) snprintf(error, error_size, "%s", kimi_heif_error);
    return kimi_heif_status;
}

void kimi_heif_configure_decoding(struct heif_decoding_options *options) {
    options->ignore_transformations = 0;
    if (options->version >= 2) options->convert_hdr_to_8bit = 1;
}

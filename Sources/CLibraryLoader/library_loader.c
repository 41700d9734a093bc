#include "library_loader.h"

#include <dlfcn.h>
#include <stdio.h>

enum { KIMI_MAX_LIBRARIES = 8 };

int kimi_libraries_load(const char *const *sonames, int library_count, const kimi_symbol *symbols, int symbol_count,
                        const char *install, char *error, size_t error_size) {
    void *handles[KIMI_MAX_LIBRARIES];
    if (library_count < 1 || library_count > KIMI_MAX_LIBRARIES) {
        snprintf(error, error_size, "%d libraries asked for", library_count);
        return -1;
    }
    for (int i = 0; i < library_count; i++) {
        handles[i] = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
        if (!handles[i]) {
            snprintf(error, error_size, "%s; %s", dlerror(), install);
            return -1;
        }
    }
    for (int i = 0; i < symbol_count; i++) {
        int library = symbols[i].library;
        if (library < 0 || library >= library_count || !(*symbols[i].slot = dlsym(handles[library], symbols[i].name))) {
            snprintf(error, error_size, "%s has no %s", library >= 0 && library < library_count ? sonames[library] : "?",
                     symbols[i].name);
            return -1;
        }
    }
    return 0;
}

#include "ffmpeg_loader.h"

#include <library_loader.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libavutil/macros.h>

// Sonames from the headers we compiled against (Debian 12: avformat 59, avcodec 59, avutil 57,
// swscale 6, swresample 4), so a mismatched library is never loaded.
#define KIMI_SONAME(name, major) "lib" #name ".so." AV_STRINGIFY(major)
static const char *const kimi_sonames[] = {
    KIMI_SONAME(avutil, LIBAVUTIL_VERSION_MAJOR),
    KIMI_SONAME(avcodec, LIBAVCODEC_VERSION_MAJOR),
    KIMI_SONAME(avformat, LIBAVFORMAT_VERSION_MAJOR),
    KIMI_SONAME(swscale, LIBSWSCALE_VERSION_MAJOR),
    KIMI_SONAME(swresample, LIBSWRESAMPLE_VERSION_MAJOR),
};
enum { kimi_avutil, kimi_avcodec, kimi_avformat, kimi_swscale, kimi_swresample, kimi_library_count };
// Debian and Ubuntu name each runtime package after its library and soname major (libavformat59…):
// what a missing library's message tells the user to install.
#define KIMI_PACKAGE(name, major) "lib" #name AV_STRINGIFY(major)
#define KIMI_PACKAGES KIMI_PACKAGE(avformat, LIBAVFORMAT_VERSION_MAJOR) " " \
    KIMI_PACKAGE(avcodec, LIBAVCODEC_VERSION_MAJOR) " " KIMI_PACKAGE(avutil, LIBAVUTIL_VERSION_MAJOR) " " \
    KIMI_PACKAGE(swscale, LIBSWSCALE_VERSION_MAJOR) " " KIMI_PACKAGE(swresample, LIBSWRESAMPLE_VERSION_MAJOR)

#define KIMI_POINTER(lib, ret, name, params, args) static ret (*kimi_p_##name) params;
#define KIMI_POINTER_VOID(lib, name, params, args) static void (*kimi_p_##name) params;
KIMI_FFMPEG_FUNCTIONS(KIMI_POINTER)
KIMI_FFMPEG_VOID_FUNCTIONS(KIMI_POINTER_VOID)

#define KIMI_WRAPPER(lib, ret, name, params, args) ret kimi_##name params { return kimi_p_##name args; }
#define KIMI_WRAPPER_VOID(lib, name, params, args) void kimi_##name params { kimi_p_##name args; }
KIMI_FFMPEG_FUNCTIONS(KIMI_WRAPPER)
KIMI_FFMPEG_VOID_FUNCTIONS(KIMI_WRAPPER_VOID)

#define KIMI_SYMBOL(lib, ret, name, params, args) {#name, (void **)&kimi_p_##name, kimi_##lib},
#define KIMI_SYMBOL_VOID(lib, name, params, args) KIMI_SYMBOL(lib, void, name, params, args)
static const kimi_symbol kimi_symbols[] = {KIMI_FFMPEG_FUNCTIONS(KIMI_SYMBOL) KIMI_FFMPEG_VOID_FUNCTIONS(KIMI_SYMBOL_VOID)};

static pthread_once_t kimi_once = PTHREAD_ONCE_INIT;
static int kimi_status = -1;
static char kimi_error[512] = "FFmpeg was not loaded";

static void kimi_load_once(void) {
    kimi_status = kimi_libraries_load(kimi_sonames, kimi_library_count, kimi_symbols, (int)(sizeof kimi_symbols / sizeof kimi_symbols[0]),
                                      "video needs FFmpeg's libraries: install them (Debian/Ubuntu: apt-get install " KIMI_PACKAGES ")",
                                      kimi_error, sizeof kimi_error);
    // FFmpeg's log level is process-global: set once, here, as the libraries load.
    if (kimi_status == 0) kimi_p_av_log_set_level(AV_LOG_QUIET);
}

int kimi_ffmpeg_load(char *error, size_t error_size) {
    pthread_once(&kimi_once, kimi_load_once);
    if (kimi_status != 0 && error && error_size > 0) snprintf(error, error_size, "%s", kimi_error);
    return kimi_status;
}

const int32_t *kimi_stream_display_matrix(const AVStream *stream) {
    return (const int32_t *)kimi_p_av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, NULL);
}

const char *kimi_probe_format_name(const uint8_t *data, int size, const char *filename, int *score) {
    *score = 0;
    if (size <= 0) return NULL;
    uint8_t *padded = calloc(1, (size_t)size + AVPROBE_PADDING_SIZE);
    if (!padded) return NULL;
    memcpy(padded, data, (size_t)size);
    AVProbeData probe = {.filename = filename ? filename : "", .buf = padded, .buf_size = size, .mime_type = NULL};
    const AVInputFormat *format = kimi_p_av_probe_input_format3(&probe, 1, score);
    free(padded);
    return format ? format->name : NULL;
}

int kimi_pix_fmt_has_alpha(enum AVPixelFormat format) {
    const AVPixFmtDescriptor *descriptor = kimi_p_av_pix_fmt_desc_get(format);
    if (!descriptor) return 0;
    return (descriptor->flags & AV_PIX_FMT_FLAG_ALPHA) && !(descriptor->flags & AV_PIX_FMT_FLAG_PAL);
}

// x264's AVX-512 code reads memory its frames never wrote (valgrind cannot see it: it emulates no
// AVX-512): the same clip re-encoded after other work in the same process came out in other bytes
// (320×178, 9 runs in 40 with four small clips before it). Every other instruction set x264 would
// pick is named here, so the rest of its assembly stays.
static pthread_once_t kimi_x264_once = PTHREAD_ONCE_INIT;
static const char *kimi_x264_asm = NULL;
static char kimi_x264_asm_buffer[160];

static void kimi_x264_asm_once(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) return;  // nothing to leave out: x264 detects as usual
    const char *names[] = {"MMX2", "SSE2Fast",
                           __builtin_cpu_supports("ssse3") ? "SSSE3" : NULL,
                           __builtin_cpu_supports("sse4.1") ? "SSE4.1" : NULL,
                           __builtin_cpu_supports("sse4.2") ? "SSE4.2" : NULL,
                           __builtin_cpu_supports("avx") ? "AVX" : NULL,
                           __builtin_cpu_supports("fma") ? "FMA3" : NULL,
                           __builtin_cpu_supports("bmi") ? "BMI1" : NULL,
                           __builtin_cpu_supports("bmi2") ? "BMI2" : NULL,
                           __builtin_cpu_supports("avx2") ? "AVX2" : NULL};
    size_t used = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!names[i]) continue;
        int n = snprintf(kimi_x264_asm_buffer + used, sizeof kimi_x264_asm_buffer - used, "%s%s", used ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= sizeof kimi_x264_asm_buffer - used) return;
        used += (size_t)n;
    }
    kimi_x264_asm = kimi_x264_asm_buffer;
#endif
}

const char *kimi_x264_asm_without_avx512(void) {
    pthread_once(&kimi_x264_once, kimi_x264_asm_once);
    return kimi_x264_asm;
}

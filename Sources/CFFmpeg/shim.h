#ifndef KIMI_CFFMPEG_SHIM_H
#define KIMI_CFFMPEG_SHIM_H
// FFmpeg 5.1 (Debian 12). Macros Swift cannot import are re-exported as inline functions/constants.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>

static inline int kimi_averror(int posix_error) { return AVERROR(posix_error); }
static const int KIMI_AVERROR_EOF = AVERROR_EOF;
static const int KIMI_AVERROR_EAGAIN = AVERROR(EAGAIN);
static const int KIMI_AVERROR_INVALIDDATA = AVERROR_INVALIDDATA;
static const int KIMI_AVERROR_EXIT = AVERROR_EXIT;
static const int64_t KIMI_AV_NOPTS_VALUE = AV_NOPTS_VALUE;
static const int KIMI_AV_TIME_BASE = AV_TIME_BASE;
static const int KIMI_AV_ERROR_MAX_STRING_SIZE = AV_ERROR_MAX_STRING_SIZE;
static const int KIMI_AVINDEX_KEYFRAME = AVINDEX_KEYFRAME;
static const int KIMI_AV_PKT_FLAG_KEY = AV_PKT_FLAG_KEY;

/// The display matrix of a stream (9 int32 values), or NULL. Wraps av_stream_get_side_data.
static inline const int32_t *kimi_stream_display_matrix(const AVStream *stream) {
    return (const int32_t *)av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, NULL);
}
#endif

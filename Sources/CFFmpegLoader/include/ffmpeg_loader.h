#ifndef KIMI_FFMPEG_LOADER_H
#define KIMI_FFMPEG_LOADER_H
// FFmpeg, loaded on first use (dlopen) instead of linked: image-only runs never map FFmpeg's
// ~130 shared libraries (measured: 27 MiB resident and ~30 ms before main on Debian 12), and work
// where FFmpeg is not installed. Every FFmpeg function kimi-media calls is listed once in
// KIMI_FFMPEG_FUNCTIONS; each gets a kimi_<name> wrapper with the library's own signature.
#include <stddef.h>
#include <stdint.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

// X(library, return type, name, parameters, arguments)
#define KIMI_FFMPEG_FUNCTIONS(X) \
    X(avutil, int, av_strerror, (int errnum, char *errbuf, size_t errbuf_size), (errnum, errbuf, errbuf_size)) \
    X(avutil, double, av_display_rotation_get, (const int32_t matrix[9]), (matrix)) \
    X(avutil, const char *, av_get_pix_fmt_name, (enum AVPixelFormat pix_fmt), (pix_fmt)) \
    X(avcodec, const char *, avcodec_get_name, (enum AVCodecID id), (id)) \
    X(avformat, AVFormatContext *, avformat_alloc_context, (void), ()) \
    X(avformat, int, avformat_open_input, (AVFormatContext **ps, const char *url, const AVInputFormat *fmt, AVDictionary **options), (ps, url, fmt, options)) \
    X(avformat, const AVInputFormat *, av_find_input_format, (const char *short_name), (short_name)) \
    X(avformat, int, avformat_find_stream_info, (AVFormatContext *ic, AVDictionary **options), (ic, options)) \
    X(avformat, int, av_find_best_stream, (AVFormatContext *ic, enum AVMediaType type, int wanted, int related, const AVCodec **decoder, int flags), (ic, type, wanted, related, decoder, flags)) \
    X(avformat, int, avformat_index_get_entries_count, (const AVStream *st), (st)) \
    X(avformat, const AVIndexEntry *, avformat_index_get_entry, (AVStream *st, int idx), (st, idx)) \
    X(avformat, uint8_t *, av_stream_get_side_data, (const AVStream *stream, enum AVPacketSideDataType type, size_t *size), (stream, type, size)) \
    X(avformat, int, av_read_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt)) \
    X(avcodec, AVPacket *, av_packet_alloc, (void), ()) \
    X(avcodec, const AVCodec *, avcodec_find_decoder, (enum AVCodecID id), (id)) \
    X(avcodec, AVCodecContext *, avcodec_alloc_context3, (const AVCodec *codec), (codec)) \
    X(avcodec, int, avcodec_parameters_to_context, (AVCodecContext *codec, const AVCodecParameters *par), (codec, par)) \
    X(avcodec, int, avcodec_open2, (AVCodecContext *avctx, const AVCodec *codec, AVDictionary **options), (avctx, codec, options)) \
    X(avcodec, int, avcodec_send_packet, (AVCodecContext *avctx, const AVPacket *avpkt), (avctx, avpkt)) \
    X(avcodec, int, avcodec_receive_frame, (AVCodecContext *avctx, AVFrame *frame), (avctx, frame)) \
    X(avutil, AVFrame *, av_frame_alloc, (void), ()) \
    X(swscale, struct SwsContext *, sws_getCachedContext, (struct SwsContext *context, int srcW, int srcH, enum AVPixelFormat srcFormat, int dstW, int dstH, enum AVPixelFormat dstFormat, int flags, SwsFilter *srcFilter, SwsFilter *dstFilter, const double *param), (context, srcW, srcH, srcFormat, dstW, dstH, dstFormat, flags, srcFilter, dstFilter, param)) \
    X(swscale, int, sws_scale, (struct SwsContext *c, const uint8_t *const srcSlice[], const int srcStride[], int srcSliceY, int srcSliceH, uint8_t *const dst[], const int dstStride[]), (c, srcSlice, srcStride, srcSliceY, srcSliceH, dst, dstStride)) \
    X(swscale, int, sws_setColorspaceDetails, (struct SwsContext *c, const int inv_table[4], int srcRange, const int table[4], int dstRange, int brightness, int contrast, int saturation), (c, inv_table, srcRange, table, dstRange, brightness, contrast, saturation)) \
    X(swscale, const int *, sws_getCoefficients, (int colorspace), (colorspace))

// Functions returning void, listed apart (C cannot `return` a void call).
#define KIMI_FFMPEG_VOID_FUNCTIONS(X) \
    X(avutil, av_log_set_level, (int level), (level)) \
    X(avformat, avformat_close_input, (AVFormatContext **s), (s)) \
    X(avcodec, av_packet_free, (AVPacket **pkt), (pkt)) \
    X(avcodec, av_packet_unref, (AVPacket *pkt), (pkt)) \
    X(avcodec, avcodec_free_context, (AVCodecContext **avctx), (avctx)) \
    X(avcodec, avcodec_flush_buffers, (AVCodecContext *avctx), (avctx)) \
    X(avutil, av_frame_free, (AVFrame **frame), (frame)) \
    X(avutil, av_frame_unref, (AVFrame *frame), (frame)) \
    X(swscale, sws_freeContext, (struct SwsContext *swsContext), (swsContext))

#define KIMI_DECLARE(lib, ret, name, params, args) ret kimi_##name params;
#define KIMI_DECLARE_VOID(lib, name, params, args) void kimi_##name params;
KIMI_FFMPEG_FUNCTIONS(KIMI_DECLARE)
KIMI_FFMPEG_VOID_FUNCTIONS(KIMI_DECLARE_VOID)
#undef KIMI_DECLARE
#undef KIMI_DECLARE_VOID

/// Loads FFmpeg's libraries (the sonames of the headers we were built with) and resolves every
/// function above, once; later calls return the first result. 0 on success; otherwise -1 with a
/// message in `error` (e.g. dlerror's "libavformat.so.59: cannot open shared object file").
int kimi_ffmpeg_load(char *error, size_t error_size);

/// The display matrix of a stream (9 int32 values), or NULL.
const int32_t *kimi_stream_display_matrix(const AVStream *stream);

static const int KIMI_AVERROR_EOF = AVERROR_EOF;
static const int KIMI_AVERROR_EAGAIN = AVERROR(EAGAIN);
static const int KIMI_AVERROR_INVALIDDATA = AVERROR_INVALIDDATA;
static const int KIMI_AVERROR_EXIT = AVERROR_EXIT;
static const int64_t KIMI_AV_NOPTS_VALUE = AV_NOPTS_VALUE;
static const int KIMI_AV_TIME_BASE = AV_TIME_BASE;
static const int KIMI_AV_ERROR_MAX_STRING_SIZE = AV_ERROR_MAX_STRING_SIZE;
static const int KIMI_AVINDEX_KEYFRAME = AVINDEX_KEYFRAME;
static const int KIMI_AV_PKT_FLAG_KEY = AV_PKT_FLAG_KEY;
static inline int kimi_averror(int posix_error) { return AVERROR(posix_error); }
static const int KIMI_SWS_LANCZOS = SWS_LANCZOS;
static const int KIMI_SWS_POINT = SWS_POINT;
static const int KIMI_SWS_ACCURATE_RND = SWS_ACCURATE_RND;
static const int KIMI_SWS_FULL_CHR_H_INT = SWS_FULL_CHR_H_INT;
#endif

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
#include <libswresample/swresample.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>

// X(library, return type, name, parameters, arguments)
#define KIMI_FFMPEG_FUNCTIONS(X) \
    X(avutil, int, av_strerror, (int errnum, char *errbuf, size_t errbuf_size), (errnum, errbuf, errbuf_size)) \
    X(avutil, double, av_display_rotation_get, (const int32_t matrix[9]), (matrix)) \
    X(avutil, const char *, av_get_pix_fmt_name, (enum AVPixelFormat pix_fmt), (pix_fmt)) \
    X(avcodec, const char *, avcodec_get_name, (enum AVCodecID id), (id)) \
    X(avformat, AVFormatContext *, avformat_alloc_context, (void), ()) \
    X(avformat, int, avformat_open_input, (AVFormatContext **ps, const char *url, const AVInputFormat *fmt, AVDictionary **options), (ps, url, fmt, options)) \
    X(avformat, const AVInputFormat *, av_find_input_format, (const char *short_name), (short_name)) \
    X(avformat, const AVInputFormat *, av_probe_input_format3, (const AVProbeData *pd, int is_opened, int *score_ret), (pd, is_opened, score_ret)) \
    X(avutil, const AVPixFmtDescriptor *, av_pix_fmt_desc_get, (enum AVPixelFormat pix_fmt), (pix_fmt)) \
    X(avformat, int, avformat_find_stream_info, (AVFormatContext *ic, AVDictionary **options), (ic, options)) \
    X(avformat, int, av_find_best_stream, (AVFormatContext *ic, enum AVMediaType type, int wanted, int related, const AVCodec **decoder, int flags), (ic, type, wanted, related, decoder, flags)) \
    X(avformat, int, avformat_index_get_entries_count, (const AVStream *st), (st)) \
    X(avformat, const AVIndexEntry *, avformat_index_get_entry, (AVStream *st, int idx), (st, idx)) \
    X(avformat, uint8_t *, av_stream_get_side_data, (const AVStream *stream, enum AVPacketSideDataType type, size_t *size), (stream, type, size)) \
    X(avformat, int, av_read_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt)) \
    X(avformat, int, av_seek_frame, (AVFormatContext *s, int stream_index, int64_t timestamp, int flags), (s, stream_index, timestamp, flags)) \
    X(avcodec, AVPacket *, av_packet_alloc, (void), ()) \
    X(avcodec, AVPacket *, av_packet_clone, (const AVPacket *src), (src)) \
    X(avcodec, const AVCodec *, avcodec_find_decoder, (enum AVCodecID id), (id)) \
    X(avcodec, AVCodecContext *, avcodec_alloc_context3, (const AVCodec *codec), (codec)) \
    X(avcodec, int, avcodec_parameters_to_context, (AVCodecContext *codec, const AVCodecParameters *par), (codec, par)) \
    X(avcodec, int, avcodec_open2, (AVCodecContext *avctx, const AVCodec *codec, AVDictionary **options), (avctx, codec, options)) \
    X(avcodec, int, avcodec_send_packet, (AVCodecContext *avctx, const AVPacket *avpkt), (avctx, avpkt)) \
    X(avcodec, int, avcodec_receive_frame, (AVCodecContext *avctx, AVFrame *frame), (avctx, frame)) \
    X(avutil, AVFrame *, av_frame_alloc, (void), ()) \
    X(avutil, AVFrame *, av_frame_clone, (const AVFrame *src), (src)) \
    X(swscale, struct SwsContext *, sws_getCachedContext, (struct SwsContext *context, int srcW, int srcH, enum AVPixelFormat srcFormat, int dstW, int dstH, enum AVPixelFormat dstFormat, int flags, SwsFilter *srcFilter, SwsFilter *dstFilter, const double *param), (context, srcW, srcH, srcFormat, dstW, dstH, dstFormat, flags, srcFilter, dstFilter, param)) \
    X(swscale, int, sws_scale, (struct SwsContext *c, const uint8_t *const srcSlice[], const int srcStride[], int srcSliceY, int srcSliceH, uint8_t *const dst[], const int dstStride[]), (c, srcSlice, srcStride, srcSliceY, srcSliceH, dst, dstStride)) \
    X(swscale, int, sws_setColorspaceDetails, (struct SwsContext *c, const int inv_table[4], int srcRange, const int table[4], int dstRange, int brightness, int contrast, int saturation), (c, inv_table, srcRange, table, dstRange, brightness, contrast, saturation)) \
    X(swscale, const int *, sws_getCoefficients, (int colorspace), (colorspace)) \
    X(avformat, int, avformat_alloc_output_context2, (AVFormatContext **ctx, const AVOutputFormat *oformat, const char *format_name, const char *filename), (ctx, oformat, format_name, filename)) \
    X(avformat, AVStream *, avformat_new_stream, (AVFormatContext *s, const AVCodec *c), (s, c)) \
    X(avformat, int, avio_open, (AVIOContext **s, const char *url, int flags), (s, url, flags)) \
    X(avformat, int, avio_closep, (AVIOContext **s), (s)) \
    X(avformat, int, avformat_write_header, (AVFormatContext *s, AVDictionary **options), (s, options)) \
    X(avformat, int, av_interleaved_write_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt)) \
    X(avformat, int, av_write_trailer, (AVFormatContext *s), (s)) \
    X(avformat, uint8_t *, av_stream_new_side_data, (AVStream *stream, enum AVPacketSideDataType type, size_t size), (stream, type, size)) \
    X(avcodec, const AVCodec *, avcodec_find_encoder_by_name, (const char *name), (name)) \
    X(avcodec, const AVCodec *, avcodec_find_encoder, (enum AVCodecID id), (id)) \
    X(avcodec, int, avcodec_parameters_from_context, (AVCodecParameters *par, const AVCodecContext *codec), (par, codec)) \
    X(avcodec, int, avcodec_parameters_copy, (AVCodecParameters *dst, const AVCodecParameters *src), (dst, src)) \
    X(avcodec, int, avcodec_send_frame, (AVCodecContext *avctx, const AVFrame *frame), (avctx, frame)) \
    X(avcodec, int, avcodec_receive_packet, (AVCodecContext *avctx, AVPacket *avpkt), (avctx, avpkt)) \
    X(avutil, int, av_dict_set, (AVDictionary **pm, const char *key, const char *value, int flags), (pm, key, value, flags)) \
    X(avutil, int, av_opt_set, (void *obj, const char *name, const char *val, int search_flags), (obj, name, val, search_flags)) \
    X(avutil, int, av_frame_get_buffer, (AVFrame *frame, int align), (frame, align)) \
    X(avutil, int, av_frame_make_writable, (AVFrame *frame), (frame)) \
    X(avutil, int64_t, av_rescale_q, (int64_t a, AVRational bq, AVRational cq), (a, bq, cq)) \
    X(avutil, int, av_channel_layout_copy, (AVChannelLayout *dst, const AVChannelLayout *src), (dst, src)) \
    X(swresample, int, swr_alloc_set_opts2, (struct SwrContext **ps, const AVChannelLayout *out_ch_layout, enum AVSampleFormat out_sample_fmt, int out_sample_rate, const AVChannelLayout *in_ch_layout, enum AVSampleFormat in_sample_fmt, int in_sample_rate, int log_offset, void *log_ctx), (ps, out_ch_layout, out_sample_fmt, out_sample_rate, in_ch_layout, in_sample_fmt, in_sample_rate, log_offset, log_ctx)) \
    X(swresample, int, swr_init, (struct SwrContext *s), (s)) \
    X(swresample, int, swr_convert, (struct SwrContext *s, uint8_t **out, int out_count, const uint8_t **in, int in_count), (s, out, out_count, in, in_count)) \
    X(swresample, int, swr_get_out_samples, (struct SwrContext *s, int in_samples), (s, in_samples))

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
    X(swscale, sws_freeContext, (struct SwsContext *swsContext), (swsContext)) \
    X(avformat, avformat_free_context, (AVFormatContext *s), (s)) \
    X(avcodec, av_packet_rescale_ts, (AVPacket *pkt, AVRational tb_src, AVRational tb_dst), (pkt, tb_src, tb_dst)) \
    X(avutil, av_dict_free, (AVDictionary **m), (m)) \
    X(avutil, av_channel_layout_default, (AVChannelLayout *ch_layout, int nb_channels), (ch_layout, nb_channels)) \
    X(avutil, av_channel_layout_uninit, (AVChannelLayout *channel_layout), (channel_layout)) \
    X(swresample, swr_free, (struct SwrContext **s), (s))

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

/// FFmpeg's best guess of the demuxer for a file that starts with `size` bytes at `data`
/// (`av_probe_input_format3` on a zero-padded copy): its short name, or NULL; `score` receives the
/// certainty (0–100). With `filename` NULL the guess is by content alone; with a name, demuxers
/// may also match its extension (FFmpeg's image2 does, for formats without a signature like TGA).
const char *kimi_probe_format_name(const uint8_t *data, int size, const char *filename, int *score);

/// Whether a pixel format carries alpha (AV_PIX_FMT_FLAG_ALPHA, palettes excluded: FFmpeg flags
/// every PAL8 format so, whether or not a colour is transparent).
int kimi_pix_fmt_has_alpha(enum AVPixelFormat format);

/// libx264's `asm` option for this CPU: the instruction sets it would detect itself, AVX-512 left
/// out (a comma list of x264's names, e.g. "MMX2,SSE2Fast,SSSE3,SSE4.2,AVX,FMA3,BMI2,AVX2"), or NULL
/// where x264's own detection is kept (not x86-64, or a CPU without AVX-512). Computed once.
const char *kimi_x264_asm_without_avx512(void);

/// The display matrix of a stream (9 int32 values), or NULL.
const int32_t *kimi_stream_display_matrix(const AVStream *stream);

static const int KIMI_AVERROR_EOF = AVERROR_EOF;
static const int KIMI_AVERROR_EAGAIN = AVERROR(EAGAIN);
static const int KIMI_AVERROR_INVALIDDATA = AVERROR_INVALIDDATA;
static const int KIMI_AVERROR_EXIT = AVERROR_EXIT;
static const int KIMI_AVERROR_ENCODER_NOT_FOUND = AVERROR_ENCODER_NOT_FOUND;
static const int64_t KIMI_AV_NOPTS_VALUE = AV_NOPTS_VALUE;
static const int KIMI_AV_TIME_BASE = AV_TIME_BASE;
static const int KIMI_AV_ERROR_MAX_STRING_SIZE = AV_ERROR_MAX_STRING_SIZE;
static const int KIMI_AVINDEX_KEYFRAME = AVINDEX_KEYFRAME;
static const int KIMI_AVSEEK_FLAG_BACKWARD = AVSEEK_FLAG_BACKWARD;
static const int KIMI_AV_PKT_FLAG_KEY = AV_PKT_FLAG_KEY;
static inline int kimi_averror(int posix_error) { return AVERROR(posix_error); }
static const int KIMI_SWS_LANCZOS = SWS_LANCZOS;
static const int KIMI_SWS_POINT = SWS_POINT;
static const int KIMI_SWS_BICUBIC = SWS_BICUBIC;
static const int KIMI_AVIO_FLAG_WRITE = AVIO_FLAG_WRITE;
static const int KIMI_AVFMT_GLOBALHEADER = AVFMT_GLOBALHEADER;
static const int KIMI_AV_CODEC_FLAG_GLOBAL_HEADER = AV_CODEC_FLAG_GLOBAL_HEADER;
static const int KIMI_AV_CODEC_CAP_VARIABLE_FRAME_SIZE = AV_CODEC_CAP_VARIABLE_FRAME_SIZE;
static const int KIMI_SWS_ACCURATE_RND = SWS_ACCURATE_RND;
static const int KIMI_SWS_FULL_CHR_H_INT = SWS_FULL_CHR_H_INT;
#endif

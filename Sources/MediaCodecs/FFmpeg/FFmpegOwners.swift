import CFFmpegLoader

// Owners of FFmpeg objects: each frees its object in `deinit`, so every path — a failed
// initialisation of whatever holds it included — releases it exactly once. Not `Sendable`: one
// task owns each.

/// An `AVFrame` (`av_frame_alloc` … `av_frame_free`), or a decoded frame reference taken over
/// (handed to the frame encoder's queue, freed once converted). `@unchecked Sendable`: it crosses
/// to that queue once and is touched there only.
final class OwnedFrame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>
    var frame: UnsafeMutablePointer<AVFrame> { pointer }
    private var freed = false

    init() throws(FFmpegError) {
        guard let frame = kimi_av_frame_alloc() else { throw FFmpegError(kimi_averror(ENOMEM), "av_frame_alloc") }
        pointer = frame
    }

    /// Takes over `frame` (a reference the caller made for it).
    init(_ frame: UnsafeMutablePointer<AVFrame>) { pointer = frame }

    /// Frees the frame now (early); `deinit` then does nothing.
    func free() {
        guard !freed else { return }
        freed = true
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        kimi_av_frame_free(&frame)
    }

    deinit { free() }
}

/// Frees frame references nobody will hand on (`av_frame_free` each).
func freeFrames<Frames: Sequence>(_ frames: Frames) where Frames.Element == UnsafeMutablePointer<AVFrame> {
    for frame in frames {
        var reference: UnsafeMutablePointer<AVFrame>? = frame
        kimi_av_frame_free(&reference)
    }
}

/// Frees packet references (`av_packet_free` each).
func freePackets<Packets: Sequence>(_ packets: Packets) where Packets.Element == UnsafeMutablePointer<AVPacket> {
    for packet in packets {
        var reference: UnsafeMutablePointer<AVPacket>? = packet
        kimi_av_packet_free(&reference)
    }
}

/// An `AVPacket` (`av_packet_alloc` … `av_packet_free`).
final class OwnedPacket {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(FFmpegError) {
        guard let packet = kimi_av_packet_alloc() else { throw FFmpegError(kimi_averror(ENOMEM), "av_packet_alloc") }
        pointer = packet
    }

    deinit { freePackets([pointer]) }
}

extension AVCodecParameters {
    /// The codec's configuration record (`extradata`: avcC, hvcC, av1C…), copied; empty when none.
    var extradataBytes: [UInt8] {
        guard let extradata, extradata_size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: extradata, count: Int(extradata_size)))
    }
}

/// An encoder's `AVCodecContext` (`avcodec_alloc_context3` … `avcodec_free_context`).
final class OwnedEncoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    init(_ codec: UnsafePointer<AVCodec>) throws(FFmpegError) {
        guard let context = kimi_avcodec_alloc_context3(codec) else { throw FFmpegError(kimi_averror(ENOMEM), "avcodec_alloc_context3") }
        self.context = context
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = self.context
        kimi_avcodec_free_context(&context)
    }
}

/// A swscale context, made again when the input's size or format changes (`sws_getCachedContext`).
final class OwnedScaler {
    private(set) var context: OpaquePointer?

    /// The context for `width`×`height` `format` → `outWidth`×`outHeight` YUV 4:2:0, bicubic.
    func context(from width: Int32, _ height: Int32, _ format: AVPixelFormat, to outWidth: Int32, _ outHeight: Int32) -> OpaquePointer? {
        context = kimi_sws_getCachedContext(context, width, height, format, outWidth, outHeight, AV_PIX_FMT_YUV420P, KIMI_SWS_BICUBIC,
                                            nil, nil, nil)
        return context
    }

    deinit { if let context { kimi_sws_freeContext(context) } }
}

/// A swresample context (`swr_alloc_set_opts2` … `swr_free`).
final class OwnedResampler {
    var context: OpaquePointer?

    deinit { if context != nil { kimi_swr_free(&context) } }
}

/// An output file: its `AVFormatContext` and, once opened, its I/O (`avio_closep`, then
/// `avformat_free_context`).
final class OutputFile {
    let context: UnsafeMutablePointer<AVFormatContext>

    init(format: String, path: String) throws(FFmpegError) {
        var context: UnsafeMutablePointer<AVFormatContext>?
        try FFmpegError.check(kimi_avformat_alloc_output_context2(&context, nil, format, path), "avformat_alloc_output_context2")
        guard let context else { throw FFmpegError(kimi_averror(ENOMEM), "avformat_alloc_output_context2") }
        self.context = context
    }

    deinit {
        if context.pointee.pb != nil { _ = kimi_avio_closep(&context.pointee.pb) }
        kimi_avformat_free_context(context)
    }
}

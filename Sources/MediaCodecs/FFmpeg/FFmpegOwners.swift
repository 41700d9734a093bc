import CFFmpegLoader

// Owners of FFmpeg objects: each frees its object in `deinit`, so every path — a failed
// initialisation of whatever holds it included — releases it exactly once. Not `Sendable`: one
// task owns each.

/// An `AVFrame` (`av_frame_alloc` … `av_frame_free`), or a new reference to a decoded frame
/// (`av_frame_clone`): the one owner of every frame kimi-media keeps beyond a decoder's call.
/// `@unchecked Sendable`: it crosses to another thread once (the frame encoder's queue, a parallel
/// decoder's results) and is touched only there from then on.
final class OwnedFrame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>
    var frame: UnsafeMutablePointer<AVFrame> { pointer }
    private var freed = false

    init() throws(FFmpegError) {
        guard let frame = kimi_av_frame_alloc() else { throw FFmpegError(kimi_averror(ENOMEM), "av_frame_alloc") }
        pointer = frame
    }

    /// A new reference to `frame`'s buffers; `nil` when memory is short.
    init?(cloning frame: UnsafePointer<AVFrame>) {
        guard let reference = kimi_av_frame_clone(frame) else { return nil }
        pointer = reference
    }

    /// Frees the frame now (early); `deinit` then does nothing.
    func free() {
        guard !freed else { return }
        freed = true
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        kimi_av_frame_free(&frame)
    }

    deinit { free() }
}

/// An `AVPacket` (`av_packet_alloc` … `av_packet_free`), or a new reference to a read packet
/// (`av_packet_clone`): the one owner of every packet kept beyond a read. `@unchecked Sendable`
/// for the same one hand-over as ``OwnedFrame``.
final class OwnedPacket: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(FFmpegError) {
        guard let packet = kimi_av_packet_alloc() else { throw FFmpegError(kimi_averror(ENOMEM), "av_packet_alloc") }
        pointer = packet
    }

    /// A new reference to `packet`'s data; `nil` when memory is short.
    init?(cloning packet: UnsafePointer<AVPacket>) {
        guard let reference = kimi_av_packet_clone(packet) else { return nil }
        pointer = reference
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        kimi_av_packet_free(&packet)
    }
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

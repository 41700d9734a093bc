import CFFmpegLoader
import MediaCore

/// The outcome of asking the decoder for a frame: control flow, not an error (design §3.3).
enum DecodeStep {
    case frame
    case needsInput
    case endOfStream
}

/// Owns an opened decoder for one stream (`avcodec_alloc_context3` + `avcodec_open2` …
/// `avcodec_free_context`) and its scratch `AVPacket`/`AVFrame`. Not `Sendable`: one task owns it.
final class VideoDecoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    let packet: UnsafeMutablePointer<AVPacket>
    let frame: UnsafeMutablePointer<AVFrame>

    /// Opens the decoder for `stream`'s codec, single-threaded (files already run in parallel).
    init(stream: UnsafeMutablePointer<AVStream>) throws(FFmpegError) {
        guard let codec = kimi_avcodec_find_decoder(stream.pointee.codecpar.pointee.codec_id) else {
            throw FFmpegError(KIMI_AVERROR_INVALIDDATA, "avcodec_find_decoder")
        }
        guard let context = kimi_avcodec_alloc_context3(codec) else { throw FFmpegError(kimi_averror(ENOMEM), "avcodec_alloc_context3") }
        guard let packet = kimi_av_packet_alloc(), let frame = kimi_av_frame_alloc() else {
            var optional: UnsafeMutablePointer<AVCodecContext>? = context
            kimi_avcodec_free_context(&optional)
            throw FFmpegError(kimi_averror(ENOMEM), "av_packet_alloc")
        }
        self.context = context
        self.packet = packet
        self.frame = frame
        try FFmpegError.check(kimi_avcodec_parameters_to_context(context, stream.pointee.codecpar), "avcodec_parameters_to_context")
        context.pointee.thread_count = 1
        context.pointee.pkt_timebase = stream.pointee.time_base
        try FFmpegError.check(kimi_avcodec_open2(context, codec, nil), "avcodec_open2")
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        kimi_avcodec_free_context(&c)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        kimi_av_packet_free(&p)
        var f: UnsafeMutablePointer<AVFrame>? = frame
        kimi_av_frame_free(&f)
    }

    /// Sends `packet` (or `nil` to drain). Wraps `avcodec_send_packet`.
    func send(_ packet: UnsafeMutablePointer<AVPacket>?) throws(FFmpegError) {
        let status = kimi_avcodec_send_packet(context, packet)
        if status == KIMI_AVERROR_EAGAIN || status == KIMI_AVERROR_EOF { return }
        try FFmpegError.check(status, "avcodec_send_packet")
    }

    /// Receives the next frame into ``frame``. Wraps `avcodec_receive_frame`.
    func receive() throws(FFmpegError) -> DecodeStep {
        let status = kimi_avcodec_receive_frame(context, frame)
        if status == KIMI_AVERROR_EAGAIN { return .needsInput }
        if status == KIMI_AVERROR_EOF { return .endOfStream }
        try FFmpegError.check(status, "avcodec_receive_frame")
        return .frame
    }

    /// Forgets buffered state after a drain, so decoding can start again at the next keyframe.
    func reset() { kimi_avcodec_flush_buffers(context) }
}

/// Converts decoded frames to what JPEG stores, at a target size, in one `sws_scale` pass (Lanczos):
/// full-range BT.601 YCbCr 4:2:0 planes, the JFIF colour space. Video is usually limited range
/// (16–235); HD video is BT.709. FFmpeg 5.1's `sws_setColorspaceDetails` does not redo range
/// conversion for YUV→YUV once a context exists, so the full-range formats are named up front
/// (`yuvj420p`, and a full-range source as its `j` variant); and YUV→YUV never changes the matrix,
/// so BT.709 frames (tagged, or untagged HD) go to RGB instead, which does. The context is built
/// once per geometry and reused.
final class FrameConverter {
    private var context: OpaquePointer?

    deinit { if let context { kimi_sws_freeContext(context) } }

    func convert(_ frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int) throws(FFmpegError) -> PixelImage {
        var source = AVPixelFormat(rawValue: frame.pointee.format)
        let fullRange = frame.pointee.color_range == AVCOL_RANGE_JPEG
            || [AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P].contains(source)
        let bt709 = frame.pointee.colorspace == AVCOL_SPC_BT709
            || (frame.pointee.colorspace == AVCOL_SPC_UNSPECIFIED && frame.pointee.height >= 720)
        if fullRange {
            source = [AV_PIX_FMT_YUV420P: AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P: AV_PIX_FMT_YUVJ422P,
                      AV_PIX_FMT_YUV444P: AV_PIX_FMT_YUVJ444P][source] ?? source
        }
        let destination = bt709 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUVJ420P
        context = kimi_sws_getCachedContext(context, frame.pointee.width, frame.pointee.height, source, Int32(width), Int32(height),
                                            destination, KIMI_SWS_LANCZOS | KIMI_SWS_ACCURATE_RND, nil, nil, nil)
        guard let context else { throw FFmpegError(KIMI_AVERROR_INVALIDDATA, "sws_getCachedContext") }
        let planes: [Plane]
        if bt709 {
            _ = kimi_sws_setColorspaceDetails(context, kimi_sws_getCoefficients(SWS_CS_ITU709), fullRange ? 1 : 0,
                                              kimi_sws_getCoefficients(SWS_CS_ITU601), 1, 0, 1 << 16, 1 << 16)
            planes = [Plane(width: width, height: height, channels: 3)]
        } else {
            planes = [Plane(width: width, height: height, channels: 1),
                      Plane(width: (width + 1) / 2, height: (height + 1) / 2, channels: 1),
                      Plane(width: (width + 1) / 2, height: (height + 1) / 2, channels: 1)]
        }
        var targets: [UnsafeMutablePointer<UInt8>?] = planes.map(\.base) + [nil, nil, nil]
        var strides: [Int32] = planes.map { Int32($0.rowBytes) } + [0, 0, 0]
        let sourcePlanes = withUnsafeBytes(of: &frame.pointee.data) { raw in
            Array(raw.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).prefix(4)).map { UnsafePointer($0) }
        }
        let sourceStrides = withUnsafeBytes(of: &frame.pointee.linesize) { Array($0.bindMemory(to: Int32.self).prefix(4)) }
        let rows = kimi_sws_scale(context, sourcePlanes, sourceStrides, 0, frame.pointee.height, &targets, &strides)
        guard rows > 0 else { throw FFmpegError(rows < 0 ? rows : KIMI_AVERROR_INVALIDDATA, "sws_scale") }
        return PixelImage(layout: bt709 ? .rgb : .ycbcr, planes: planes)
    }
}

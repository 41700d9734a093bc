import CFFmpegLoader
import MediaCore

/// The outcome of asking the decoder for a frame: control flow, not an error (only a real failure throws).
enum DecodeStep {
    case frame
    case needsInput
    case endOfStream
}

/// Owns an opened decoder for one stream — video, or the audio a re-encode carries over
/// (`avcodec_alloc_context3` + `avcodec_open2` … `avcodec_free_context`) — and its scratch
/// `AVPacket` and `AVFrame` (their owners, made first: a failure at any step frees what exists).
/// Not `Sendable`: one task owns it.
final class StreamDecoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    private let scratchPacket: OwnedPacket
    private let scratchFrame: OwnedFrame
    /// The scratch packet (read into it, send it) and the frame ``receive()`` fills.
    var packet: UnsafeMutablePointer<AVPacket> { scratchPacket.pointer }
    var frame: UnsafeMutablePointer<AVFrame> { scratchFrame.pointer }

    /// Opens the decoder for `stream`'s codec with `threads` threads (frame and slice threading:
    /// consecutive keyframes are independent, so frame threads decode several at once).
    /// `maxPixels` makes the decoder refuse larger frames before allocating them (`max_pixels`).
    init(stream: UnsafeMutablePointer<AVStream>, threads: Int = 1, maxPixels: Int? = nil) throws(FFmpegError) {
        guard let codec = kimi_avcodec_find_decoder(stream.pointee.codecpar.pointee.codec_id) else {
            throw FFmpegError(KIMI_AVERROR_INVALIDDATA, "avcodec_find_decoder")
        }
        scratchPacket = try OwnedPacket()
        scratchFrame = try OwnedFrame()
        guard let context = kimi_avcodec_alloc_context3(codec) else { throw FFmpegError(kimi_averror(ENOMEM), "avcodec_alloc_context3") }
        self.context = context
        try FFmpegError.check(kimi_avcodec_parameters_to_context(context, stream.pointee.codecpar), "avcodec_parameters_to_context")
        // As many frame threads as cores: one more (FFmpeg's "auto") measured no faster here and
        // held ~8 MiB more of decoder frames (a 1080p portrait clip: 143 → 134 MB peak).
        context.pointee.thread_count = Int32(max(1, threads))
        context.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        context.pointee.pkt_timebase = stream.pointee.time_base
        if let maxPixels { context.pointee.max_pixels = Int64(maxPixels) }
        try FFmpegError.check(kimi_avcodec_open2(context, codec, nil), "avcodec_open2")
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        kimi_avcodec_free_context(&c)
    }

    /// Sends `packet` (or `nil` to drain). `false` when the decoder is full: receive its frames,
    /// then send the same packet again. Wraps `avcodec_send_packet`.
    func send(_ packet: UnsafeMutablePointer<AVPacket>?) throws(FFmpegError) -> Bool {
        let status = kimi_avcodec_send_packet(context, packet)
        if status == KIMI_AVERROR_EAGAIN { return false }
        if status == KIMI_AVERROR_EOF { return true }
        try FFmpegError.check(status, "avcodec_send_packet")
        return true
    }

    /// Receives the next frame into ``frame``. Wraps `avcodec_receive_frame`.
    func receive() throws(FFmpegError) -> DecodeStep {
        let status = kimi_avcodec_receive_frame(context, frame)
        if status == KIMI_AVERROR_EAGAIN { return .needsInput }
        if status == KIMI_AVERROR_EOF { return .endOfStream }
        try FFmpegError.check(status, "avcodec_receive_frame")
        return .frame
    }

    /// Receives every frame the decoder has ready, handing each to `body` (unreferenced after it
    /// returns). A frame that cannot be decoded becomes a `frame-skipped` diagnostic and ends the round.
    func receiveFrames<Failure: Error>(into diagnostics: inout [Diagnostic],
                                       _ body: (UnsafeMutablePointer<AVFrame>) throws(Failure) -> Void) throws(Failure) {
        while true {
            let step: DecodeStep
            do { step = try receive() } catch {
                diagnostics.append(Diagnostic(code: "frame-skipped", stage: .decode, message: "a frame could not be decoded: \(error)"))
                return
            }
            guard step == .frame else { return }
            defer { kimi_av_frame_unref(frame) }
            try body(frame)
        }
    }

    /// Forgets buffered state after a drain, so decoding can start again at the next keyframe.
    func reset() { kimi_avcodec_flush_buffers(context) }
}


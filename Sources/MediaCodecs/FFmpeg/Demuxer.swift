#if canImport(Glibc)
import Glibc
#endif
import CFFmpegLoader
import MediaCore

/// Owns an opened `AVFormatContext` (`avformat_open_input` … `avformat_close_input`), opened with
/// bounded stream analysis and a wall-clock deadline enforced by FFmpeg's interrupt callback, which
/// also stops reading once the thread's ``MediaCancellation`` is set (a cancelled task's video).
/// Not `Sendable`: one task owns it.
final class Demuxer {
    private(set) var context: UnsafeMutablePointer<AVFormatContext>
    private let interruption: UnsafeMutablePointer<Interruption>

    /// What the interrupt callback reads: the deadline, and the cancellation of the work that
    /// opened the file (kept alive by `cancellation` below).
    struct Interruption {
        var deadline: UInt64
        var cancellation: Unmanaged<MediaCancellation>?
    }

    private let cancellation: MediaCancellation?

    /// Returns non-zero once the monotonic clock passes the deadline or the work is cancelled:
    /// FFmpeg then aborts its I/O with `AVERROR_EXIT`.
    private static let interrupt: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { opaque in
        guard let state = opaque?.assumingMemoryBound(to: Interruption.self).pointee else { return 0 }
        if state.cancellation?.takeUnretainedValue().isCancelled == true { return 1 }
        return Demuxer.monotonicNanoseconds() > state.deadline ? 1 : 0
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Opens `path` with the demuxer named `formatName` (e.g. `mov`, `asf`), then reads stream info
    /// unless `analyze` is false (containers whose headers already give the codec parameters; the
    /// analysis decodes a frame or two, ~40 ms at 4K). Wraps `avformat_open_input` and
    /// `avformat_find_stream_info`.
    /// `formatName` `nil` lets FFmpeg choose the demuxer from the content. Decoders that the stream-info
    /// pass opens refuse frames above ``MediaLimits/maxPixels`` (their `max_pixels` option).
    init(path: String, formatName: String?, limits: MediaLimits, analyze: Bool = true) throws(FFmpegError) {
        if let why = FFmpegRuntime.loadError { throw .notLoaded(why) }
        cancellation = MediaCancellation.current
        interruption = .allocate(capacity: 1)
        interruption.initialize(to: Interruption(deadline: Self.monotonicNanoseconds() + UInt64(max(0, limits.probeTimeoutSeconds) * 1e9),
                                                 cancellation: cancellation.map { Unmanaged.passUnretained($0) }))
        guard var context = kimi_avformat_alloc_context() else {
            interruption.deallocate()
            throw FFmpegError(kimi_averror(ENOMEM), "avformat_alloc_context")
        }
        context.pointee.interrupt_callback = AVIOInterruptCB(callback: Self.interrupt, opaque: UnsafeMutableRawPointer(interruption))
        context.pointee.probesize = Int64(limits.probeBytes)
        context.pointee.max_analyze_duration = Int64(limits.analyzeSeconds * Double(KIMI_AV_TIME_BASE))
        var optional: UnsafeMutablePointer<AVFormatContext>? = context
        let status = kimi_avformat_open_input(&optional, path, formatName.flatMap { kimi_av_find_input_format($0) }, nil)
        guard status >= 0, let opened = optional else {
            let expired = Self.monotonicNanoseconds() > interruption.pointee.deadline
            interruption.deallocate()  // avformat_open_input frees the context on failure
            throw FFmpegError(expired ? KIMI_AVERROR_EXIT : status, "avformat_open_input")
        }
        context = opened
        self.context = context
        self.limits = limits
        if analyze { try findStreamInfo() }
    }

    private let limits: MediaLimits

    /// The stream-info pass (`avformat_find_stream_info`), when the headers alone do not give the
    /// codec parameters: it decodes a frame or two, whose decoders refuse frames above
    /// ``MediaLimits/maxPixels``.
    func findStreamInfo() throws(FFmpegError) {
        var options = [OpaquePointer?](repeating: nil, count: max(1, Int(context.pointee.nb_streams)))
        defer { for i in options.indices { kimi_av_dict_free(&options[i]) } }
        for i in 0..<Int(context.pointee.nb_streams) {
            try FFmpegError.check(kimi_av_dict_set(&options[i], "max_pixels", String(limits.maxPixels), 0), "av_dict_set(max_pixels)")
        }
        let info = options.withUnsafeMutableBufferPointer { kimi_avformat_find_stream_info(context, $0.baseAddress) }
        // FFmpeg may report an interrupted read as invalid data: the clock says which it was.
        try FFmpegError.check(info < 0 && deadlinePassed ? KIMI_AVERROR_EXIT : info, "avformat_find_stream_info")
    }

    /// Lifts the probe's deadline once the file is open: reading a long video may take longer.
    func clearDeadline() { interruption.pointee.deadline = .max }

    /// Whether the wall-clock budget is spent.
    var deadlinePassed: Bool { Self.monotonicNanoseconds() > interruption.pointee.deadline }

    deinit {
        var optional: UnsafeMutablePointer<AVFormatContext>? = context
        kimi_avformat_close_input(&optional)
        interruption.deallocate()
    }

    /// The streams, as FFmpeg lists them.
    var streams: [UnsafeMutablePointer<AVStream>] {
        (0..<Int(context.pointee.nb_streams)).compactMap { context.pointee.streams[$0] }
    }

    /// The main video stream: FFmpeg's best pick (`av_find_best_stream`) unless that is cover art,
    /// else the first video stream that is not an attached picture.
    var videoStream: UnsafeMutablePointer<AVStream>? {
        let isPicture = { (s: UnsafeMutablePointer<AVStream>) in s.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 }
        let best = kimi_av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        if best >= 0, let stream = context.pointee.streams[Int(best)], !isPicture(stream) { return stream }
        return streams.first { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO && !isPicture($0) }
    }

    /// Tells the demuxer to drop the packets of every stream but `kept` (stream indices), and which
    /// of the kept streams' packets to read (`AVDISCARD_NONKEY`: keyframes only, their index lets it
    /// skip the others' bytes). The one place the streams' settings are written.
    func discardAll(except kept: [Int32], keeping: AVDiscard = AVDISCARD_DEFAULT) {
        for stream in streams { stream.pointee.discard = kept.contains(stream.pointee.index) ? keeping : AVDISCARD_ALL }
    }

    /// Container duration in seconds, if known.
    var durationSeconds: Double? {
        let d = context.pointee.duration
        return d == KIMI_AV_NOPTS_VALUE || d <= 0 ? nil : Double(d) / Double(KIMI_AV_TIME_BASE)
    }
}

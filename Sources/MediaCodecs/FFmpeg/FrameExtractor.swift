import CFFmpegLoader
import Dispatch
import MediaCore

/// One frame taken from a video, encoded.
public struct ExtractedFrame: Sendable {
    public var index: Int
    public var timestampSeconds: Double
    public var keyframe: Bool
    public var image: EncodedImage
}

/// Takes frames out of a video as a ``VideoPlan`` says and hands each one, encoded, to `onFrame` as
/// soon as it exists: a few frames in flight whatever the video's length.
public enum FrameExtractor {
    /// Keyframes: the demuxer's packets are read in order and only those flagged
    /// `AV_PKT_FLAG_KEY` are sent to the decoder, as one stream of independent pictures (frame
    /// threads decode several at once), so no other frame is ever decoded (`skip_frame` alone is not
    /// enough: the VP9 and AV1 decoders ignore it). Streams that cannot continue after a skipped
    /// stretch are recovered by resetting the decoder on a refused packet.
    /// Damage after the start is a diagnostic; the frames before it are kept.
    /// `threads`: decoder threads (1 when files already run in parallel, one per core).
    public static func extract(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int = 1,
                               onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> [Diagnostic] {
        // Small frames convert and encode in a fraction of a millisecond, less than handing them
        // between threads costs: one encoder thread (an hour of 320×180, 1,800 keyframes, on tmpfs:
        // 0.76 s with two, 0.69 s with one).
        let small = isSmall(width: info.storedWidth, height: info.storedHeight)
        return try extract(path: path, info: info, plan: plan, limits: limits, threads: threads, encoderThreads: small ? 1 : threads,
                           onFrame: onFrame)
    }

    /// The same, with `encoderThreads` frames converted and encoded at once whatever their size
    /// (the tests' small fixtures run the encoder threads this way).
    static func extract(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int, encoderThreads: Int,
                        onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> [Diagnostic] {
        if plan.frames == .none { return [] }
        let sink = FrameEncoder(width: encoderThreads, dedupe: plan.dedupe)
        defer { sink.wait() }  // never leave the encoder running past this call
        return try extract(path: path, info: info, plan: plan, limits: limits, threads: threads, sink: sink, onFrame: onFrame)
    }

    /// Frames under 640×360: too quick to decode or encode to be worth handing between threads.
    static func isSmall(width: Int, height: Int) -> Bool { width * height < 640 * 360 }

    /// One extraction: the video opened (``OpenedVideo``), then one ``FrameRun`` reads its packets
    /// and hands the frames on.
    private static func extract(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int,
                                sink: FrameEncoder, onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> [Diagnostic] {
        let video = try OpenedVideo(path: path, info: info, plan: plan, limits: limits, threads: threads)
        defer { video.parallel?.shutdown() }  // after a failure too: its threads end, its frames are freed
        return try withoutActuallyEscaping(onFrame) { (deliver) throws(MediaError) -> [Diagnostic] in
            let run = try FrameRun(video, path: path, info: info, plan: plan, sink: sink, deliver: deliver)
            defer { run.dropHeld() }  // packets held back and never decoded
            return try run.run()
        }
    }
}

/// A video opened for extraction: its demuxer, its video stream and the decoder(s) — for keyframes
/// with cores to spare, single-threaded decoders side by side (``ParallelKeyDecoder``).
struct OpenedVideo {
    let demuxer: Demuxer
    let stream: UnsafeMutablePointer<AVStream>
    /// The decoder, or the first of the parallel ones (whose read packet the others copy).
    let decoder: StreamDecoder
    let parallel: ParallelKeyDecoder?

    init(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int) throws(MediaError) {
        guard info.kind == .video else {
            throw MediaError(.unsupportedFormat, path: path, stage: .decode, "\(info.format.rawValue) is not a video container")
        }
        do {
            // Keyframes from MP4/MOV/3GP or Matroska/WebM: their headers carry the codec parameters
            // (the probe already checked them), so the stream-info pass is skipped; `model` and
            // `every:` need its frame-rate analysis.
            // Other Matroska files may hold any codec, whose parameters the headers may not carry.
            let headersSuffice = plan.frames == .keyframes && [.mp4, .mov, .threeGP, .webm].contains(info.format)
            demuxer = try Demuxer(path: path, formatName: VideoProbe.demuxerName(info.format), limits: limits, analyze: !headersSuffice)
            guard let video = demuxer.videoStream else {
                throw MediaError(.unsupportedFormat, path: path, stage: .decode, "has no video stream")
            }
            stream = video
            // Keyframes with cores to spare: single-threaded decoders side by side (``ParallelKeyDecoder``).
            // Small frames decode in a fraction of a millisecond, less than handing them between
            // threads costs: one decoder on one thread (an hour of 320×180, 1,800 keyframes: 1.9 →
            // 1.1 s, most of it the frames' files).
            let small = FrameExtractor.isSmall(width: Int(video.pointee.codecpar.pointee.width),
                                               height: Int(video.pointee.codecpar.pointee.height))
            if plan.frames == .keyframes, threads > 1, !small, let first = try? StreamDecoder(stream: video, threads: 1) {
                decoder = first
                parallel = try ParallelKeyDecoder(decoders: [first] + (1..<threads).map { _ throws(FFmpegError) in
                    try StreamDecoder(stream: video, threads: 1)
                })
            } else {
                decoder = try StreamDecoder(stream: video, threads: small ? 1 : threads)
                parallel = nil
            }
        } catch let error as FFmpegError {
            throw error.mediaError(path: path, stage: .decode, "cannot open the video")
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "cannot open the video")
        }
        demuxer.clearDeadline()
    }
}

import Foundation
import MediaCodecs
import MediaCore

/// Prepares media for a Kimi request: probe → plan → decode → resize → encode, with the offline
/// token count of what will be sent. One file, from a URL or bytes, or many in input order:
///
/// ```swift
/// let photo = try await Preparer().prepare(URL(fileURLWithPath: "IMG_0001.HEIC"))
/// print(photo.width, photo.height, photo.estimate?.tokens ?? 0)   // upright, ≤ 4096×2160, as JPEG
/// ```
///
/// The work runs on threads of its own (not Swift's cooperative pool) and stops promptly when the
/// calling task is cancelled, also in the middle of a video.
public struct Preparer: Sendable {
    public var probeOptions: ProbeOptions
    public var imageOptions: ImageOptions
    public var videoOptions: VideoOptions
    public var profile: ModelProfile
    /// Threads one file may use (decoder threads, the resize's row bands, the encoder). `nil`: the
    /// machine's cores for a single file, shared evenly when several are prepared at once.
    public var threadsPerImage: Int?

    public init(probeOptions: ProbeOptions = ProbeOptions(), imageOptions: ImageOptions = ImageOptions(),
                videoOptions: VideoOptions = VideoOptions(), profile: ModelProfile = .kimiK26, threadsPerImage: Int? = nil) {
        self.probeOptions = probeOptions
        self.imageOptions = imageOptions
        self.videoOptions = videoOptions
        self.profile = profile
        self.threadsPerImage = threadsPerImage
    }

    /// Starts loading FFmpeg, which videos need, on another thread (its libraries bind every symbol
    /// at load: ~28 ms), so that the load overlaps the caller's own start — the CLI calls it when a
    /// video is named on its command line. Optional: the first video loads FFmpeg anyway. A process
    /// that calls it must call ``finishWarmUp()`` before it exits.
    public static func warmUpVideo() { FFmpegRuntime.loadInBackground() }

    /// Waits for the load ``warmUpVideo()`` started, if any. Call it before the process exits (the
    /// CLI does, on every exit path): libraries still loading while the exit runs their neighbours'
    /// destructors can abort the process.
    public static func finishWarmUp() { FFmpegRuntime.finishBackgroundLoad() }

    /// The offline tokens of what ``prepare(_:workFolder:)`` will send for a probed input, without
    /// preparing it: an image at its planned size (upright, fitted to the box or the model's size),
    /// a video as the file its plan writes (fitted, rate-limited, within its budget). For the file as
    /// it is, see `TokenEstimate.of(_:profile:)`.
    public func estimate(_ info: MediaInfo) throws(MediaError) -> TokenEstimate {
        switch info.kind {
        case .image:
            let plan = ImagePlan.make(for: info, options: imageOptions, profile: profile)
            return TokenEstimate.image(width: plan.width, height: plan.height, profile: profile)
        case .video:
            if let sent = VideoPlan.make(for: info, options: videoOptions, profile: profile).sentEstimate(for: info, profile: profile) {
                return sent
            }
            return try TokenEstimate.of(info, profile: profile)
        }
    }

    /// Threads for one file when `beside` files run at once.
    func threads(beside: Int = 1) -> Int {
        threadsPerImage ?? max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, beside))
    }

    /// Prepares one image file (synchronously, on the caller's thread). Throws a ``MediaError``
    /// naming the file and the stage.
    func prepare(image path: String) throws(MediaError) -> PreparedImage {
        let info = try MediaProber.probe(path: path, options: probeOptions)
        guard info.kind == .image else {
            throw MediaError(.invalidOptions, path: path, stage: .plan, "is a \(info.format.rawValue) video, not an image")
        }
        return try prepare(image: path, info: info)
    }

    /// Prepares an image already probed.
    func prepare(image path: String, info: MediaInfo) throws(MediaError) -> PreparedImage {
        let plan = ImagePlan.make(for: info, options: imageOptions, profile: profile)
        let resampler = Resampler(filter: imageOptions.filter, threads: threads())
        let encoded = try ImagePipeline.run(path: path, info: info, plan: plan, resampler: resampler, limits: probeOptions.limits)
        guard Int64(encoded.bytes.count) <= imageOptions.maxBytes else {
            throw MediaError(.encodeFailed, path: path, stage: .encode,
                             "the prepared image is \(encoded.bytes.count) bytes, more than the budget of \(imageOptions.maxBytes)")
        }
        return PreparedImage(info: info, plan: plan, image: encoded,
                             estimate: TokenEstimate.image(width: encoded.width, height: encoded.height, profile: profile))
    }
}

extension Preparer {
    /// Extracts a video's frames as ``VideoOptions`` say, handing each encoded frame to `onFrame` as
    /// soon as it exists (memory stays at a few frames whatever the length). Returns the plan and
    /// the diagnostics (e.g. damage after the start, which keeps the frames before it).
    func prepare(video path: String, info: MediaInfo,
                 onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> (VideoPlan, [Diagnostic]) {
        guard info.kind == .video else {
            throw MediaError(.invalidOptions, path: path, stage: .plan, "is a \(info.format.rawValue) image, not a video")
        }
        let plan = VideoPlan.make(for: info, options: videoOptions, profile: profile)
        let diagnostics = try FrameExtractor.extract(path: path, info: info, plan: plan, limits: probeOptions.limits,
                                                     threads: threads(), onFrame: onFrame)
        return (plan, plan.diagnostics + diagnostics)
    }
}

extension Preparer {
    /// Writes the video file a plan calls for into `output` (an H.264 MP4, or a copy of the
    /// original when it is compliant); `nil` when the plan wants no video file. The caller makes
    /// the file visible atomically (BatchPreparer writes it inside a folder renamed into place).
    func writeVideo(_ path: String, info: MediaInfo, plan: VideoPlan, to output: String) throws(MediaError) -> WrittenVideo? {
        let encode = plan.encode
        let upright = { (w: Int, h: Int) in info.rotation % 180 == 90 ? (h, w) : (w, h) }
        if let segments = plan.segments, segments.parts.count > 1 {
            return try writeParts(path, info: info, plan: plan, segments: segments,
                                  folder: (output as NSString).deletingLastPathComponent)
        }
        switch encode.action {
        case .none:
            return nil
        case .passthrough:
            do {
                try? FileManager.default.removeItem(atPath: output)
                try FileManager.default.copyItem(atPath: path, toPath: output)
            } catch {
                throw MediaError(.io, path: output, stage: .write, "cannot copy the video: \(error.localizedDescription)")
            }
            return WrittenVideo(format: info.format, width: info.width, height: info.height, bytes: info.bytes,
                                estimate: plan.estimate, passthrough: true, diagnostics: [])
        case .write:
            let (result, bytes, estimate) = try transcode(path, info: info, encode: encode, to: output)
            let (width, height) = upright(result.width, result.height)
            var diagnostics = result.diagnostics
            diagnostics.append(Diagnostic(code: "video-written", stage: .encode,
                                          message: "H.264 MP4 written (video \(encode.video.rawValue), audio \(encode.audio.rawValue)): "
                                              + encode.reasons.joined(separator: "; ")))
            if bytes > videoOptions.maxBytes {
                diagnostics.append(Diagnostic(code: "over-budget", stage: .encode,
                                              message: "the written video is still \(bytes) bytes, over the budget of \(videoOptions.maxBytes)"))
            }
            return WrittenVideo(format: .mp4, width: width, height: height, bytes: bytes, estimate: estimate, passthrough: false,
                                diagnostics: diagnostics)
        }
    }
}

extension Preparer {
    /// A total budget shared (`--budget-total`): the budget of each video among `inputs` (`nil` for
    /// images, unreadable files and videos whose cost is unknown), after `fixed` tokens (the
    /// prompt's text) and the images' own estimates, by ``VideoBudget/shares(total:fixed:videos:)``
    /// — by weight, no video below its floor under these options' `keep`.
    public func videoBudgets(for inputs: [MediaInfo?], total: Int, fixed: Int = 0) throws(MediaError) -> [Int?] {
        var fixed = fixed
        var videos: [(index: Int, cost: Int, floor: Int)] = []
        for (i, info) in inputs.enumerated() {
            guard let info, let estimate = try? TokenEstimate.of(info, profile: profile) else { continue }
            guard info.kind == .video else {
                fixed += estimate.tokens
                continue
            }
            let plan = VideoPlan.make(for: info, options: videoOptions, profile: profile)
            let fps = info.frameRate ?? 0
            let frames = info.frameCount ?? Int(((info.durationSeconds ?? 0) * fps).rounded())
            let floor = VideoBudget.floor(frames: frames, fps: fps, width: plan.width, height: plan.height, keep: videoOptions.keep,
                                          profile: profile)
            videos.append((i, estimate.tokens, min(floor, estimate.tokens)))
        }
        guard let shares = VideoBudget.shares(total: total, fixed: fixed, videos: videos.map { ($0.cost, $0.floor) }) else {
            throw MediaError(.invalidOptions, path: "--budget-total", stage: .plan,
                             "the text and the images alone cost \(fixed) tokens, not less than the total budget of \(total): nothing is left for the videos")
        }
        var budgets = [Int?](repeating: nil, count: inputs.count)
        for (video, share) in zip(videos, shares) { budgets[video.index] = share }
        return budgets
    }
}

extension Preparer {
    /// One re-encode or remux: the result, the file's size and the offline estimate of what it holds.
    func transcode(_ path: String, info: MediaInfo, encode: VideoEncodePlan,
                   to output: String) throws(MediaError) -> (TranscodedVideo, Int64, TokenEstimate?) {
        // A fixed number of x264 threads, whatever the cores, --jobs or load: x264's output
        // depends on its thread count (frame threads, lookahead), so a count that followed the
        // machine made the same clip come out in different bytes (resume checks, upload dedup
        // and `merge` rely on same input + options → same bytes).
        let settings = VideoTranscoder.Settings(threads: VideoTranscoder.Settings.reproducibleThreads)
        let result = try VideoTranscoder.transcode(path: path, info: info, plan: encode, to: output, limits: probeOptions.limits,
                                                   settings: settings)
        let bytes = FileSize.of(output) ?? 0
        let (width, height) = info.rotation % 180 == 90 ? (result.height, result.width) : (result.width, result.height)
        let fps = min(info.frameRate ?? 0, encode.maxFPS ?? .infinity)
        let estimate = result.frames > 0 && fps > 0
            ? TokenEstimate.video(frames: result.frames, fps: fps, width: width, height: height, profile: profile) : nil
        return (result, bytes, estimate)
    }

    /// The parts of a split video (`part-001.mp4`, … in `folder`): cut on keyframes with the packets
    /// copied when the plan copies the video and every part can start on a keyframe, else re-encoded
    /// and cut exactly. Each part's estimate is checked against the budget.
    func writeParts(_ path: String, info: MediaInfo, plan: VideoPlan, segments planned: VideoSegments,
                    folder: String) throws(MediaError) -> WrittenVideo {
        var encode = plan.encode
        encode.action = .write
        let duration = planned.parts.last?.endSeconds ?? 0
        let fps = min(info.frameRate ?? 0, encode.maxFPS ?? .infinity)
        let upright = info.rotation % 180 == 90 ? (encode.height, encode.width) : (encode.width, encode.height)
        var segments = planned
        if encode.video == .copy {
            let keyframes = try VideoTranscoder.keyframeTimes(path: path, info: info, limits: probeOptions.limits)
            if let cut = VideoSegments.plan(request: planned.request, budget: planned.budget, duration: duration, fps: fps,
                                            width: upright.0, height: upright.1, keyframes: keyframes, profile: profile) {
                segments = cut
            }
            if segments.cut == .exact {
                // A GOP longer than a part: the packets cannot be cut there, so the parts are encoded.
                encode.video = .encode
                encode.width = VideoEncodePlan.evenSide(encode.width)
                encode.height = VideoEncodePlan.evenSide(encode.height)
                encode.reasons.append("a keyframe interval is longer than a part: the parts are re-encoded to cut them exactly")
            }
        }
        var parts: [WrittenPart] = []
        var diagnostics: [Diagnostic] = []
        for part in segments.parts {
            var partPlan = encode
            partPlan.startSeconds = part.startSeconds
            // The last part runs to the end of the stream (no frame is lost to a rounded duration).
            partPlan.maxDurationSeconds = part.index == segments.parts.count ? nil : part.durationSeconds
            let name = String(format: "part-%03d.mp4", part.index)
            let (result, bytes, estimate) = try transcode(path, info: info, encode: partPlan, to: folder + "/" + name)
            diagnostics += result.diagnostics
            let size = info.rotation % 180 == 90 ? (result.height, result.width) : (result.width, result.height)
            if let tokens = estimate?.tokens, tokens > segments.budget {
                diagnostics.append(Diagnostic(code: "over-budget", stage: .encode,
                                              message: "\(name) holds \(counted(result.frames, "frame")), \(counted(tokens, "token")): over the part budget of \(segments.budget)"))
            }
            parts.append(WrittenPart(name: name, startSeconds: part.startSeconds, endSeconds: part.endSeconds, width: size.0,
                                     height: size.1, bytes: bytes, estimate: estimate))
        }
        diagnostics.append(Diagnostic(code: "video-split", stage: .encode,
                                      message: String(format: "%d parts (%@, video %@), each ≤ %d tokens: ", parts.count,
                                                      segments.cut == .keyframes ? "cut on keyframes" : "cut exactly",
                                                      encode.video.rawValue, segments.budget)
                                          + encode.reasons.joined(separator: "; ")))
        let first = parts[0]
        return WrittenVideo(format: .mp4, width: first.width, height: first.height, bytes: parts.reduce(0) { $0 + $1.bytes },
                            estimate: nil, passthrough: false, diagnostics: diagnostics, parts: parts, segments: segments)
    }
}

/// One part of a split video, written.
struct WrittenPart: Sendable {
    /// Its file name beside the frames.
    var name: String
    var startSeconds: Double
    var endSeconds: Double
    var width: Int
    var height: Int
    var bytes: Int64
    var estimate: TokenEstimate?
    var tokens: Int? { estimate?.tokens }
}

/// The video file written for a video input.
struct WrittenVideo: Sendable {
    var format: MediaFormat
    /// Upright size.
    var width: Int
    var height: Int
    var bytes: Int64
    /// Offline tokens of the video part.
    var estimate: TokenEstimate?
    /// The whole file's tokens, or the sum of its parts'.
    var tokens: Int? { parts.isEmpty ? estimate?.tokens : parts.reduce(0) { $0 + ($1.tokens ?? 0) } }
    /// The original bytes, copied.
    var passthrough: Bool
    var diagnostics: [Diagnostic]
    /// A split video's parts (no whole file is written then).
    var parts: [WrittenPart] = []
    /// Where it was cut, as written (keyframes or exact).
    var segments: VideoSegments? = nil
}

/// A prepared image: what was found, what was planned, the bytes to send and their cost.
struct PreparedImage: Sendable {
    var info: MediaInfo
    var plan: ImagePlan
    var image: EncodedImage
    /// Offline tokens of the image part: media plus wrapper (docs/kimi-api.md §2.4).
    var estimate: TokenEstimate
    var tokens: Int { estimate.tokens }
}

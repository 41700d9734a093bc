/// Which frames of a video to extract (`--frames`).
public enum FrameSelection: Sendable, Hashable, CustomStringConvertible {
    /// The codec's keyframes, chosen by the demuxer's packet key flag: only those packets reach
    /// the decoder.
    case keyframes
    /// Exactly the frames the model samples (docs/kimi-api.md §3.1): min(2, fps) a second.
    case model
    /// One frame every `seconds` (the frame nearest each multiple of `seconds`).
    case every(seconds: Double)
    /// No frames: the video file only.
    case none

    /// Parses `keyframes`, `model`, `every:SECONDS` or `none`.
    public init?(argument: String) {
        switch argument {
        case "keyframes": self = .keyframes
        case "model": self = .model
        case "none": self = .none
        default:
            guard argument.hasPrefix("every:"), let seconds = Double(argument.dropFirst(6)), seconds.isFinite, seconds > 0 else { return nil }
            self = .every(seconds: seconds)
        }
    }

    public var description: String {
        switch self {
        case .keyframes: "keyframes"
        case .model: "model"
        case .every(let seconds): "every:\(seconds)"
        case .none: "none"
        }
    }
}

/// A value that JSON holds as its command-line argument: one grammar (`init?(argument:)`, and
/// `description` back) for flags, manifests and plans.
public protocol ArgumentCodable: Codable, CustomStringConvertible {
    init?(argument: String)
}

extension ArgumentCodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(argument: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a valid \(Self.self): \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension FrameSelection: ArgumentCodable {}

/// Options of the video pipeline.
public struct VideoOptions: Sendable, Codable, Hashable {
    public var frames: FrameSelection
    /// A custom box for frames: both sides at most this (default: 2048×1080).
    public var maxSide: Int?
    /// JPEG quality of extracted frames.
    public var quality: Int
    /// At most this many frames, spread evenly over the duration.
    public var maxFrames: Int?
    /// Drop a frame closer than this many seconds to the previous one kept.
    public var minGapSeconds: Double?
    /// The video file itself: fit (default), keep or none.
    public var output: VideoOutput
    /// Re-encoded videos: at most this many frames a second.
    public var maxFPS: Double?
    /// Keep the audio (copied, or re-encoded to AAC when MP4 cannot carry it).
    public var keepAudio: Bool
    /// A video over this many bytes is re-encoded (the upload limit).
    public var maxBytes: Int64
    /// The video file's prompt tokens at most (``VideoBudget``): its rate, size and length are
    /// chosen to fit, as close to the budget as the arithmetic allows.
    public var budget: Int?
    /// Levers the budget may not move.
    public var keep: Set<BudgetLever> = []
    /// Drop a frame whose ``FrameSignature`` is within this distance (levels of 255) of the last
    /// frame kept: static slides and screen recordings shrink to their distinct frames. `nil`: keep all.
    public var dedupe: Double?
    /// Split the video file into consecutive parts, each within the budget (``VideoSegments``):
    /// `auto` (as long as the budget allows) or parts of a given length. `nil`: one file.
    public var segments: SegmentRequest? = nil

    /// The defaults: keyframes inside 2048×1080 at JPEG quality 90, the video file fitted, audio kept.
    public init() {
        frames = .keyframes
        maxSide = nil
        quality = 90
        maxFrames = nil
        minGapSeconds = nil
        output = .fit
        maxFPS = nil
        keepAudio = true
        maxBytes = APILimits.default.maxUploadBytes
        budget = nil
        dedupe = nil
    }

    /// Options checked at once: `quality` 1–100, `maxSide` at least 16, `maxFrames` at least 1,
    /// `minGapSeconds` not negative, `maxFPS` positive and finite, `maxBytes` positive.
    public init(frames: FrameSelection = .keyframes, maxSide: Int? = nil, quality: Int = 90, maxFrames: Int? = nil,
                minGapSeconds: Double? = nil, output: VideoOutput = .fit, maxFPS: Double? = nil, keepAudio: Bool = true,
                maxBytes: Int64 = APILimits.default.maxUploadBytes, budget: Int? = nil, keep: Set<BudgetLever> = [],
                dedupe: Double? = nil, segments: SegmentRequest? = nil) throws(OptionsError) {
        self.dedupe = dedupe
        self.segments = segments
        self.budget = budget
        self.keep = keep
        self.output = output
        self.maxFPS = maxFPS
        self.keepAudio = keepAudio
        self.maxBytes = maxBytes
        self.frames = frames
        self.maxSide = maxSide
        self.quality = quality
        self.maxFrames = maxFrames
        self.minGapSeconds = minGapSeconds
        try validate()
    }

    /// Checks the ranges (properties may have been changed since `init`).
    public func validate() throws(OptionsError) {
        try OptionsError.check((1...100).contains(quality), "quality", "is \(quality); allowed 1–100")
        if let maxSide { try OptionsError.check(maxSide >= 16, "maxSide", "is \(maxSide); allowed 16 or more") }
        if let maxFrames { try OptionsError.check(maxFrames >= 1, "maxFrames", "is \(maxFrames); allowed 1 or more") }
        if let minGapSeconds { try OptionsError.check(minGapSeconds >= 0, "minGapSeconds", "is \(minGapSeconds); allowed 0 or more") }
        if let maxFPS { try OptionsError.check(maxFPS > 0 && maxFPS.isFinite, "maxFPS", "is \(maxFPS); allowed a positive number") }
        if case .every(let seconds) = frames {
            try OptionsError.check(seconds > 0 && seconds.isFinite, "frames", "every \(seconds) s; allowed a positive interval")
        }
        try OptionsError.check(maxBytes > 0, "maxBytes", "is \(maxBytes); allowed 1 or more")
        if let budget { try OptionsError.check(budget >= 1, "budget", "is \(budget); allowed 1 or more") }
        if let dedupe { try OptionsError.check(dedupe >= 0 && dedupe.isFinite, "dedupe", "is \(dedupe); allowed 0 or more") }
        if case .every(let seconds)? = segments {
            try OptionsError.check(seconds > 0 && seconds.isFinite, "segments", "every \(seconds) s; allowed a positive length")
        }
    }

    public var box: (long: Int, short: Int) { maxSide.map { ($0, $0) } ?? (2048, 1080) }
}

/// What will be done to one video: pure and deterministic, from header facts alone.
public struct VideoPlan: Sendable, Codable, Hashable {
    public var frames: FrameSelection
    /// The upright size of extracted frames.
    public var width: Int
    public var height: Int
    /// The size to scale stored frames to, before turning them upright.
    public var resizeWidth: Int
    public var resizeHeight: Int
    /// The display rotation as an EXIF orientation (90° clockwise → 6, 180° → 3, 270° → 8).
    public var orientation: ExifOrientation
    public var quality: Int
    /// Thinning: at most `maxFrames`, evenly over `durationSeconds`; at least `minGapSeconds` apart.
    public var maxFrames: Int?
    public var minGapSeconds: Double?
    public var durationSeconds: Double?
    /// Header facts the frame schedule of `model` and `every:` is computed from.
    public var frameCount: Int?
    public var frameRate: Double?
    /// The video file itself: copied, re-encoded or none.
    public var encode: VideoEncodePlan
    /// Offline prompt tokens of one frame sent as an image.
    public var frameTokens: Int
    /// Offline estimate of the video itself (sampling, chunks, context check).
    public var estimate: TokenEstimate?
    public var diagnostics: [Diagnostic]
    /// What the token budget chose for the video file (`nil` without a budget).
    public var budget: VideoBudget? = nil
    /// Near-duplicate frames are dropped within this distance (``VideoOptions/dedupe``).
    public var dedupe: Double? = nil
    /// The parts the video file is split into (`nil`: one file). Planned with exact cuts; parts
    /// whose packets are copied are cut on keyframes when written.
    public var segments: VideoSegments? = nil

    public static func make(for info: MediaInfo, options: VideoOptions, profile: ModelProfile = .kimiK26) -> VideoPlan {
        let orientation: ExifOrientation = switch info.rotation {
        case 90: .right
        case 180: .down
        case 270: .left
        default: .up
        }
        let (width, height) = ImagePlan.fitted(info.width, info.height, long: options.box.long, short: options.box.short)
        let (rw, rh) = orientation.swapsDimensions ? (height, width) : (width, height)
        let estimate = try? TokenEstimate.of(info, profile: profile)
        var diagnostics = estimate?.diagnostics ?? []
        if orientation != .up {
            diagnostics.append(Diagnostic(code: "rotation-applied", stage: .plan,
                                          message: "display rotation of \(info.rotation)° applied to the frames"))
        }
        var plan = VideoPlan(frames: options.frames, width: width, height: height, resizeWidth: rw, resizeHeight: rh,
                             orientation: orientation, quality: options.quality, maxFrames: options.maxFrames,
                             minGapSeconds: options.minGapSeconds, durationSeconds: info.durationSeconds,
                             frameCount: info.frameCount, frameRate: info.frameRate,
                             encode: VideoEncodePlan.make(for: info, output: options.output, resizeWidth: rw, resizeHeight: rh,
                                                          maxFPS: options.maxFPS, keepAudio: options.keepAudio, maxBytes: options.maxBytes),
                             frameTokens: ImageTokens(width: width, height: height, profile: profile).promptTokens(profile: profile),
                             estimate: estimate, diagnostics: diagnostics)
        plan.dedupe = options.dedupe
        if options.output == .model {
            plan.useModelRate(info: info, profile: profile)
            if options.budget != nil || options.segments != nil {
                plan.diagnostics.append(Diagnostic(code: "budget-ignored", stage: .plan,
                                                   message: "a budget or segments need --video fit (the model-rate file is not cut)"))
            }
            return plan
        }
        if options.output == .keep, options.budget != nil || options.segments != nil {
            plan.diagnostics.append(Diagnostic(code: "budget-ignored", stage: .plan,
                                               message: "a budget or segments need the video file fitted (not kept)"))
        } else if let request = options.segments {
            plan.split(request, budget: options.budget, keep: options.keep, info: info, box: (width, height), profile: profile)
        } else if let budget = options.budget {
            plan.apply(budget: budget, keep: options.keep, info: info, box: (width, height), profile: profile)
        }
        return plan
    }

    /// `width`×`height` of stored pixels (as a decoder or encoder sees them) as they are shown,
    /// turned by the display rotation: the one place a video's sides are swapped.
    public func upright(_ width: Int, _ height: Int) -> (width: Int, height: Int) {
        orientation.swapsDimensions ? (height, width) : (width, height)
    }

    /// `--video model`: the file holds the frames the model samples from the fitted video, at the
    /// size it resizes each to, so its tokens are the fitted file's (the same sampled count, the same
    /// tokens a chunk) in a fraction of the bytes. The size is the model's resize target made even
    /// for H.264 (up, else down, else the fitted size: whichever keeps a chunk's tokens). A source of
    /// at most 2 fps keeps every frame, only resized. Without a frame count and rate it is `fit`.
    mutating func useModelRate(info: MediaInfo, profile: ModelProfile) {
        guard let fps = info.frameRate, fps > 0, fps.isFinite,
              let count = info.frameCount ?? info.durationSeconds.map({ Int(($0 * fps).rounded()) }), count > 0 else {
            diagnostics.append(Diagnostic(code: "model-rate-unknown", stage: .plan,
                                          message: "the frame count or rate is unknown: the video is fitted (--video fit)"))
            return
        }
        // What `--video fit` sends: its size (even when re-encoded), every frame.
        let (fitWidth, fitHeight) = upright(encode.width, encode.height)
        let fitted = VideoTokens(frameCount: count, fps: fps, width: fitWidth, height: fitHeight, profile: profile)
        func chunkTokens(_ w: Int, _ h: Int) -> Int {
            ImageTokens(width: w, height: h, profile: profile, patchLimit: profile.inPatchLimitEachFrame).tokens
        }
        let (rw, rh) = (fitted.resizedWidth, fitted.resizedHeight)
        let candidates = [(min(fitWidth, rw + rw % 2), min(fitHeight, rh + rh % 2)), (rw - rw % 2, rh - rh % 2), (fitWidth, fitHeight)]
        let (w, h) = candidates.first { $0.0 >= 2 && $0.1 >= 2 && chunkTokens($0.0, $0.1) == fitted.tokensPerChunk } ?? (fitWidth, fitHeight)
        let rate = min(profile.sampleFPS, fps)
        var model = VideoEncodePlan.ModelRate(sourceFrames: count, sourceFPS: fps, frames: fitted.sampledFrames, fps: rate)
        if fps <= profile.sampleFPS { model = VideoEncodePlan.ModelRate(sourceFrames: count, sourceFPS: fps, frames: count, fps: fps) }
        encode.modelRate = model
        encode.maxFPS = nil
        encode.video = .encode
        encode.action = .write
        let stored = upright(w, h)
        encode.width = VideoEncodePlan.evenSide(stored.width)
        encode.height = VideoEncodePlan.evenSide(stored.height)
        encode.maxBitrate = nil
        encode.reasons.append("model-rate: the \(counted(model.frames, "frame")) the model samples, \(w)×\(h) at \(Self.rate(model.fps)) fps")
    }

    static func rate(_ fps: Double) -> String { fps == fps.rounded() ? String(Int(fps)) : String(format: "%.3g", fps) }

    /// Whether the split parts wait for the file's keyframes (``cut(onKeyframes:info:profile:)``):
    /// parts whose packets are copied can only start on one.
    public var needsKeyframes: Bool { segments != nil && encode.video == .copy }

    /// Completes a split whose packets are copied, from the times of the file's keyframes (seconds
    /// from the start): the cuts move to keyframes when every part can start on one; when a keyframe
    /// interval is longer than a part they cannot, and the parts are re-encoded, cut exactly (even
    /// sides, as H.264 4:2:0 needs). The plan is then whole before any work starts.
    public mutating func cut(onKeyframes keyframes: [Double], info: MediaInfo, profile: ModelProfile = .kimiK26) {
        guard needsKeyframes, let planned = segments else { return }
        let duration = planned.parts.last?.endSeconds ?? 0
        let fps = min(info.frameRate ?? 0, encode.maxFPS ?? .infinity)
        let size = upright(encode.width, encode.height)
        if let cut = VideoSegments.plan(request: planned.request, budget: planned.budget, duration: duration, fps: fps, width: size.width,
                                        height: size.height, keyframes: keyframes, profile: profile) {
            segments = cut
        }
        guard segments?.cut == .exact else { return }
        encode.video = .encode
        encode.width = VideoEncodePlan.evenSide(encode.width)
        encode.height = VideoEncodePlan.evenSide(encode.height)
        encode.reasons.append("a keyframe interval is longer than a part: the parts are re-encoded to cut them exactly")
    }

    /// The offline tokens of the video file this plan writes — fitted, at its frame rate, within
    /// its budget — before it is written: what `estimate` tells and `prepare` then sends. The file's
    /// own estimate when it is copied or kept; `nil` when no video file is made or its frame count
    /// is unknown.
    public func sentEstimate(for info: MediaInfo, profile: ModelProfile = .kimiK26) -> TokenEstimate? {
        if let budget {
            return TokenEstimate.video(frames: VideoBudget.frames(seconds: budget.durationSeconds, fps: budget.fps), fps: budget.fps,
                                       width: budget.width, height: budget.height, profile: profile)
        }
        switch encode.action {
        case .none: return nil
        case .passthrough: return estimate
        case .write:
            if let model = encode.modelRate {
                let size = upright(encode.width, encode.height)
                return TokenEstimate.video(frames: model.frames, fps: model.fps, width: size.width, height: size.height, profile: profile)
            }
            guard let base = budgetBase(info) else { return nil }
            let size = upright(encode.width, encode.height)
            return TokenEstimate.video(frames: base.frames, fps: base.fps, width: size.width, height: size.height, profile: profile)
        }
    }

    /// The frame count and rate the budget works from: the file's, or `maxFPS`'s when lower.
    func budgetBase(_ info: MediaInfo) -> (frames: Int, fps: Double)? {
        guard let fps = info.frameRate, fps > 0,
              let frames = info.frameCount ?? info.durationSeconds.map({ Int(($0 * fps).rounded()) }), frames > 0 else { return nil }
        let startFPS = min(fps, encode.maxFPS ?? fps)
        return (max(1, Int((Double(frames) * startFPS / fps).rounded())), startFPS)
    }

    /// Splits the video file into parts (``VideoSegments``) each within `budget` (or the context less
    /// its reserve). `auto` splits only: rate and size stay, the parts are as long as the budget
    /// allows. A given length with a budget first fits one part of that length into the budget with
    /// the rate and size levers (``VideoBudget``, the length kept), then splits.
    mutating func split(_ request: SegmentRequest, budget: Int?, keep: Set<BudgetLever>, info: MediaInfo, box: (Int, Int),
                        profile: ModelProfile) {
        guard encode.action != .none else { return }
        guard let base = budgetBase(info) else {
            diagnostics.append(Diagnostic(code: "budget-unknown", stage: .plan, message: "the frame count or rate is unknown: not split"))
            return
        }
        let duration = info.durationSeconds ?? Double(base.frames) / base.fps
        let partBudget = VideoSegments.partBudget(budget, profile: profile)
        var size = box
        var fps = base.fps
        if case .every(let seconds) = request, let budget {
            let frames = max(1, Int((min(seconds, duration) * base.fps).rounded(.up)))
            apply(budget: budget, keep: keep.union([.duration]), frames: frames, fps: base.fps, box: box, profile: profile)
            if let chosen = self.budget {
                size = (chosen.width, chosen.height)
                fps = chosen.fps
            }
        }
        guard let segments = VideoSegments.plan(request: request, budget: partBudget, duration: duration, fps: fps, width: size.0,
                                                height: size.1, keyframes: nil, profile: profile) else {
            diagnostics.append(Diagnostic(code: "budget-unreachable", stage: .plan,
                                          message: "not even one frame fits \(partBudget) tokens: not split"))
            return
        }
        guard segments.parts.count > 1 else {
            diagnostics.append(Diagnostic(code: "segments-unneeded", stage: .plan,
                                          message: "the whole video (\(segments.parts[0].tokens) tokens) fits \(partBudget): one file"))
            return
        }
        self.segments = segments
        encode.action = .write
        encode.reasons.append(String(format: "split into %d parts of at most %.1f s, each ≤ %d tokens", segments.parts.count,
                                     segments.partSeconds, partBudget))
    }

    /// Fits the video file into `budget` tokens (``VideoBudget``), starting from the fitted size:
    /// a file that does not fit is re-encoded at the chosen rate, size and length.
    mutating func apply(budget: Int, keep: Set<BudgetLever>, info: MediaInfo, box: (Int, Int), profile: ModelProfile) {
        guard encode.action != .none else { return }
        guard let base = budgetBase(info) else {
            diagnostics.append(Diagnostic(code: "budget-unknown", stage: .plan, message: "the frame count or rate is unknown: no budget applied"))
            return
        }
        apply(budget: budget, keep: keep, frames: base.frames, fps: base.fps, box: box, profile: profile)
    }

    /// Fits `frames` frames at `startFPS` into `budget` (the whole file, or one part of a split).
    mutating func apply(budget: Int, keep: Set<BudgetLever>, frames startFrames: Int, fps startFPS: Double, box: (Int, Int),
                        profile: ModelProfile) {
        guard let chosen = VideoBudget.plan(frames: startFrames, fps: startFPS, width: box.0, height: box.1, budget: budget, keep: keep,
                                            profile: profile) else {
            diagnostics.append(Diagnostic(code: "budget-unreachable", stage: .plan,
                                          message: "\(budget) tokens cannot be reached with \(keep.map(\.rawValue).sorted().joined(separator: " and ")) kept "
                                              + "and the other levers at their floors (0.5 fps, a 280 px short side): the file is left as planned"))
            return
        }
        self.budget = chosen
        guard !chosen.moved.isEmpty else { return }
        encode.action = .write
        encode.video = .encode
        let turned = orientation.swapsDimensions
        encode.width = VideoEncodePlan.evenSide(turned ? chosen.height : chosen.width)
        encode.height = VideoEncodePlan.evenSide(turned ? chosen.width : chosen.height)
        if chosen.moved.contains(.fps) { encode.maxFPS = chosen.fps }
        if chosen.moved.contains(.duration) { encode.maxDurationSeconds = chosen.durationSeconds }
        encode.reasons.append("budget \(budget) tokens: " + chosen.moved.map(\.rawValue).joined(separator: ", ")
            + String(format: " → %.3g fps, %d×%d, %.1f s ≈ %d tokens", chosen.fps, chosen.width, chosen.height, chosen.durationSeconds, chosen.tokens))
    }
}

extension VideoPlan {
    /// The indices (in presentation order, from 0) of the frames `model` and `every:` extract,
    /// sorted and unique; `nil` for keyframes. `model` is the model's own sampling
    /// (``VideoTokens/frameIndices``); `every:S` takes the frame nearest each multiple of S seconds.
    /// Throws a description when the header lacks the frame count or rate these need.
    public func targetFrames(profile: ModelProfile = .kimiK26) throws(TargetFramesError) -> [Int]? {
        if frames == .keyframes || frames == .none { return nil }
        guard let frameCount, frameCount > 0, let frameRate, frameRate > 0, frameRate.isFinite else {
            throw TargetFramesError(message: "the header gives no frame count and rate, needed for the frame selection \(frames)")
        }
        switch frames {
        case .keyframes, .none:
            return nil
        case .model:
            return VideoTokens(frameCount: frameCount, fps: frameRate, width: max(width, 1), height: max(height, 1),
                               profile: profile).frameIndices
        case .every(let seconds):
            var indices: [Int] = []
            var k = 0.0
            while true {
                let index = Int((k * seconds * frameRate).rounded(.toNearestOrEven))
                guard index < frameCount else { break }
                if indices.last != index { indices.append(index) }
                k += 1
            }
            return indices
        }
    }
}

/// The frame selection needs the video's frame count and rate, which its header does not give.
public struct TargetFramesError: Error, Sendable, Hashable {
    public var message: String
}

/// Decides, from a frame's timestamp alone (before it is decoded), whether to keep it: at most
/// `maxFrames` spread evenly (the first frame at or after each of `maxFrames` equal slices of the
/// duration), and none closer than `minGapSeconds` to the last one kept.
package struct FrameThinning: Sendable {
    private let slice: Double?
    private let minGap: Double?
    private var nextSliceStart = 0.0
    private var lastKept: Double?

    public init(plan: VideoPlan) {
        if let maxFrames = plan.maxFrames, maxFrames > 0, let duration = plan.durationSeconds, duration > 0 {
            slice = duration / Double(maxFrames)
        } else {
            slice = plan.maxFrames == nil ? nil : .infinity  // no known duration: keep only the first
        }
        minGap = plan.minGapSeconds
    }

    /// Whether to keep a frame shown at `seconds`; records it when kept.
    public mutating func keep(_ seconds: Double) -> Bool {
        if let minGap, let lastKept, seconds - lastKept < minGap { return false }
        if let slice {
            guard seconds >= nextSliceStart - 1e-9 else { return false }
            nextSliceStart = slice.isInfinite ? .infinity : ((seconds / slice).rounded(.down) + 1) * slice
        }
        lastKept = seconds
        return true
    }
}

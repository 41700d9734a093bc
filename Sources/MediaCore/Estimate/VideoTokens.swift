import Foundation

/// The frames the model samples from a video, how they are chunked, and what they cost
/// (`split_video_chunks` and the temporal pooling of docs/kimi-api.md §3.1–§3.3), with Python's
/// rounding (half to even) and NumPy's `linspace`.
public struct VideoTokens: Sendable, Hashable, Codable {
    /// Indices of the sampled frames.
    public var frameIndices: [Int]
    /// Frames per chunk are pooled into one set of spatial tokens.
    public var chunks: Int
    /// Media tokens of one chunk: the frame's tokens at the per-frame patch budget.
    public var tokensPerChunk: Int
    /// The timestamp each chunk starts with, `HH:MM:SS.mmm`.
    public var timestamps: [String]
    /// The frame size the model resizes each sampled frame to.
    public var resizedWidth: Int
    public var resizedHeight: Int

    public var sampledFrames: Int { frameIndices.count }
    /// `<|media_pad|>` tokens in all: chunks × tokensPerChunk.
    public var mediaTokens: Int { chunks * tokensPerChunk }

    /// Prompt tokens of the video part: per chunk its media tokens plus the timestamp and wrapper.
    public func promptTokens(profile: ModelProfile = .kimiK26) -> Int {
        chunks * (tokensPerChunk + profile.videoChunkWrapperTokens)
    }

    /// `frameCount` frames at `fps`, each `width`×`height` as decoded.
    public init(frameCount: Int, fps: Double, width: Int, height: Int, profile: ModelProfile = .kimiK26) {
        precondition(frameCount > 0 && fps > 0, "a video has frames and a rate")
        let sampleFPS = min(profile.sampleFPS, fps)
        let n = max(Int((Double(frameCount) * sampleFPS / fps).rounded(.toNearestOrEven)), 1)
        frameIndices = Self.linspaceRounded(count: frameCount, samples: n)
        let k = profile.temporalMergeKernelSize
        chunks = (frameIndices.count + k - 1) / k
        let frame = ImageTokens(width: width, height: height, profile: profile, patchLimit: profile.inPatchLimitEachFrame)
        tokensPerChunk = frame.tokens
        resizedWidth = frame.resizedWidth
        resizedHeight = frame.resizedHeight
        let indices = frameIndices
        timestamps = stride(from: 0, to: indices.count, by: k).map { Self.timestamp(Double(indices[$0]) / fps) }
    }

    /// `numpy.linspace(0, N - 1, n).round()`: yᵢ = i·((N−1)/(n−1)) in Double, the last forced to N−1,
    /// rounded half to even (matched NumPy for every N < 3000, docs/kimi-api.md §3.1).
    public static func linspaceRounded(count: Int, samples: Int) -> [Int] {
        guard samples > 1 else { return [0] }
        let step = Double(count - 1) / Double(samples - 1)
        return (0..<samples).map { i in
            i == samples - 1 ? count - 1 : Int((Double(i) * step).rounded(.toNearestOrEven))
        }
    }

    /// `datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S")` (which rounds to microseconds first)
    /// + "." + the milliseconds of `t mod 1`, truncated (docs/kimi-api.md §3.1).
    static func timestamp(_ t: Double) -> String {
        let whole = Int((t * 1e6).rounded(.toNearestOrEven) / 1e6)
        let milliseconds = Int((t - t.rounded(.down)) * 1000)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(two(whole / 3600 % 24)):\(two(whole / 60 % 60)):\(two(whole % 60)).\(ms)"
    }

    /// The longest prefix of a video like this one, in seconds, whose prompt tokens fit in `budget`
    /// tokens (e.g. the context window): how long a cut would fit.
    public static func secondsFitting(budget: Int, fps: Double, width: Int, height: Int, profile: ModelProfile = .kimiK26) -> Double {
        let perChunk = ImageTokens(width: width, height: height, profile: profile, patchLimit: profile.inPatchLimitEachFrame).tokens
            + profile.videoChunkWrapperTokens
        let chunks = budget / perChunk
        let framesPerSecond = min(profile.sampleFPS, fps)
        return Double(chunks * profile.temporalMergeKernelSize) / framesPerSecond
    }
}

/// Limits checked from header facts before any pixel or frame buffer is allocated
/// (the equivalent of sharp's `limitInputPixels`).
public struct MediaLimits: Sendable, Codable, Hashable {
    /// Largest pixel count of one image or video frame. Default 100 MP: a 24 MP photo decodes
    /// with room to spare, while a header claiming 100,000×100,000 (10 GP, 30 GB as RGB) is refused.
    public var maxPixels: Int
    /// Largest frame count of an animated image. Default 10,000: animated GIF/WebP of that length
    /// are already pathological, and the walk over their frame headers stays sub-second.
    public var maxAnimationFrames: Int
    /// Longest video, in seconds. Default 24 h.
    public var maxDurationSeconds: Double
    /// Wall-clock budget for opening a video and reading its stream info. Default 10 s.
    public var probeTimeoutSeconds: Double
    /// Bytes FFmpeg may read while identifying streams (`probesize`). Default 8 MiB.
    public var probeBytes: Int
    /// Media time FFmpeg may analyse while identifying streams (`max_analyze_duration`). Default 5 s.
    public var analyzeSeconds: Double

    public init(
        maxPixels: Int = 100_000_000,
        maxAnimationFrames: Int = 10_000,
        maxDurationSeconds: Double = 24 * 3600,
        probeTimeoutSeconds: Double = 10,
        probeBytes: Int = 8 << 20,
        analyzeSeconds: Double = 5
    ) {
        self.maxPixels = maxPixels
        self.maxAnimationFrames = maxAnimationFrames
        self.maxDurationSeconds = maxDurationSeconds
        self.probeTimeoutSeconds = probeTimeoutSeconds
        self.probeBytes = probeBytes
        self.analyzeSeconds = analyzeSeconds
    }

    /// The defaults described on each property.
    public static let `default` = MediaLimits()
}

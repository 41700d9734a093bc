/// Which frames of a video to extract.
public enum FrameSelection: String, Sendable, Codable, Hashable, CaseIterable {
    /// The codec's keyframes, chosen by the demuxer's packet key flag: only those packets reach
    /// the decoder.
    case keyframes
}

/// Options of the video pipeline.
public struct VideoOptions: Sendable, Codable, Hashable {
    public var frames: FrameSelection
    /// A custom box for frames: both sides at most this (default: 2048×1080).
    public var maxSide: Int?
    /// JPEG quality of extracted frames.
    public var quality: Int

    public init(frames: FrameSelection = .keyframes, maxSide: Int? = nil, quality: Int = 90) {
        self.frames = frames
        self.maxSide = maxSide
        self.quality = quality
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
    /// Offline prompt tokens of one frame sent as an image.
    public var frameTokens: Int
    /// Offline estimate of the video itself (sampling, chunks, context check).
    public var estimate: TokenEstimate?
    public var diagnostics: [Diagnostic]

    public static func make(for info: MediaInfo, options: VideoOptions, profile: ModelProfile = .kimiK26) -> VideoPlan {
        let orientation: ExifOrientation = switch info.orientation {
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
                                          message: "display rotation of \(info.orientation)° applied to the frames"))
        }
        return VideoPlan(frames: options.frames, width: width, height: height, resizeWidth: rw, resizeHeight: rh,
                         orientation: orientation, quality: options.quality,
                         frameTokens: ImageTokens(width: width, height: height, profile: profile).promptTokens(profile: profile),
                         estimate: estimate, diagnostics: diagnostics)
    }
}

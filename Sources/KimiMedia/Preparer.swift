import Foundation
import MediaCodecs
import MediaCore

/// Prepares media for a Kimi request: probe → plan → decode → resize → encode, with the offline
/// token count of what will be sent.
///
/// ```swift
/// let prepared = try Preparer().prepare(image: "IMG_0001.jpg")
/// print(prepared.image.width, prepared.image.height, prepared.tokens)   // upright, ≤ 4096×2160
/// ```
public struct Preparer: Sendable {
    public var probeOptions: ProbeOptions
    public var imageOptions: ImageOptions
    public var videoOptions: VideoOptions
    public var profile: ModelProfile
    /// Threads one image's resize may use (row bands). Batch runs that already work on one file
    /// per core leave this at 1.
    public var threadsPerImage: Int

    public init(probeOptions: ProbeOptions = ProbeOptions(), imageOptions: ImageOptions = ImageOptions(),
                videoOptions: VideoOptions = VideoOptions(), profile: ModelProfile = .kimiK26, threadsPerImage: Int = 1) {
        self.probeOptions = probeOptions
        self.imageOptions = imageOptions
        self.videoOptions = videoOptions
        self.profile = profile
        self.threadsPerImage = threadsPerImage
    }

    /// Prepares one image file. Throws a ``MediaError`` naming the file and the stage.
    public func prepare(image path: String) throws(MediaError) -> PreparedImage {
        let info = try MediaProber.probe(path: path, options: probeOptions)
        guard info.kind == .image else {
            throw MediaError(.invalidOptions, path: path, stage: .plan, "is a \(info.format.rawValue) video, not an image")
        }
        return try prepare(image: path, info: info)
    }

    /// Prepares an image already probed.
    public func prepare(image path: String, info: MediaInfo) throws(MediaError) -> PreparedImage {
        let plan = ImagePlan.make(for: info, options: imageOptions, profile: profile)
        let resampler = Resampler(filter: imageOptions.filter, threads: threadsPerImage)
        let encoded = try ImagePipeline.run(path: path, info: info, plan: plan, resampler: resampler)
        guard Int64(encoded.bytes.count) <= imageOptions.maxBytes else {
            throw MediaError(.encodeFailed, path: path, stage: .encode,
                             "the prepared image is \(encoded.bytes.count) bytes, more than the budget of \(imageOptions.maxBytes)")
        }
        let tokens = ImageTokens(width: encoded.width, height: encoded.height, profile: profile)
        return PreparedImage(info: info, plan: plan, image: encoded, tokens: tokens.promptTokens(profile: profile))
    }
}

extension Preparer {
    /// Extracts a video's frames as ``VideoOptions`` say, handing each encoded frame to `onFrame` as
    /// soon as it exists (memory stays at a few frames whatever the length). Returns the plan and
    /// the diagnostics (e.g. damage after the start, which keeps the frames before it).
    public func prepare(video path: String, info: MediaInfo,
                        onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> (VideoPlan, [Diagnostic]) {
        guard info.kind == .video else {
            throw MediaError(.invalidOptions, path: path, stage: .plan, "is a \(info.format.rawValue) image, not a video")
        }
        let plan = VideoPlan.make(for: info, options: videoOptions, profile: profile)
        let diagnostics = try FrameExtractor.extract(path: path, info: info, plan: plan, limits: probeOptions.limits,
                                                     threads: threadsPerImage, onFrame: onFrame)
        return (plan, plan.diagnostics + diagnostics)
    }
}

/// A prepared image: what was found, what was planned, the bytes to send and their cost.
public struct PreparedImage: Sendable {
    public var info: MediaInfo
    public var plan: ImagePlan
    public var image: EncodedImage
    /// Offline prompt tokens of the image part: media tokens plus the wrapper (kimi-api-spec.md §2.4).
    public var tokens: Int
}

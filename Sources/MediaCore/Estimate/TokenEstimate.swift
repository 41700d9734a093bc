/// What a media part costs in prompt tokens, computed offline (docs/kimi-api.md §2–§3): the
/// `estimate` stage's output.
public struct TokenEstimate: Sendable, Hashable, Codable {
    public var kind: MediaKind
    /// Prompt tokens of the part: media tokens plus wrapper (and, for video, timestamp) tokens.
    public var tokens: Int
    /// `<|media_pad|>` tokens alone.
    public var mediaTokens: Int
    /// The tokens around the media: the image wrapper, or each video chunk's timestamp and wrapper.
    public var wrapperTokens: Int { tokens - mediaTokens }
    /// The size the model sees, and the size it resizes each image or frame to.
    public var width: Int
    public var height: Int
    public var resizedWidth: Int
    public var resizedHeight: Int
    /// Video only: sampled frames, chunks and tokens per chunk.
    public var video: VideoTokens?
    public var diagnostics: [Diagnostic]

    /// An image of `width`×`height` (the model does not apply EXIF orientation, docs/kimi-api.md §2.3; the count
    /// is the same either way round).
    public static func image(width: Int, height: Int, profile: ModelProfile = .kimiK26) -> TokenEstimate {
        let t = ImageTokens(width: width, height: height, profile: profile)
        return TokenEstimate(kind: .image, tokens: t.promptTokens(profile: profile), mediaTokens: t.tokens, width: width,
                             height: height, resizedWidth: t.resizedWidth, resizedHeight: t.resizedHeight, video: nil,
                             diagnostics: [])
    }

    /// A video of `frames` frames at `fps`, each `width`×`height`. Adds a diagnostic when the video
    /// alone exceeds the context window, with how long a cut would fit.
    public static func video(frames: Int, fps: Double, width: Int, height: Int, profile: ModelProfile = .kimiK26) -> TokenEstimate {
        let v = VideoTokens(frameCount: frames, fps: fps, width: width, height: height, profile: profile)
        let tokens = v.promptTokens(profile: profile)
        var diagnostics: [Diagnostic] = []
        if tokens > profile.contextTokens {
            let fits = VideoTokens.secondsFitting(budget: profile.contextTokens, fps: fps, width: width, height: height, profile: profile)
            diagnostics.append(Diagnostic(
                code: "exceeds-context", stage: .estimate,
                message: "\(tokens) tokens exceed the \(profile.contextTokens)-token context; about the first "
                    + "\(Int(fits)) s would fit"))
        }
        return TokenEstimate(kind: .video, tokens: tokens, mediaTokens: v.mediaTokens, width: width, height: height,
                             resizedWidth: v.resizedWidth, resizedHeight: v.resizedHeight, video: v, diagnostics: diagnostics)
    }

    /// The estimate of a probed file as it is.
    public static func of(_ info: MediaInfo, profile: ModelProfile = .kimiK26) throws(MediaError) -> TokenEstimate {
        switch info.kind {
        case .image:
            return image(width: info.storedWidth, height: info.storedHeight, profile: profile)
        case .video:
            guard let fps = info.frameRate, fps > 0,
                  let frames = info.frameCount ?? info.durationSeconds.map({ Int(($0 * fps).rounded()) }), frames > 0
            else {
                throw MediaError(.corruptInput, path: info.path, stage: .estimate, "the video's frame count or rate is unknown")
            }
            return video(frames: frames, fps: fps, width: info.storedWidth, height: info.storedHeight, profile: profile)
        }
    }
}

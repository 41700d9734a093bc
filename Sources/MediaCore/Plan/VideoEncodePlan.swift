/// What `prepare` writes for the video itself (`--video`).
public enum VideoOutput: String, Sendable, Codable, Hashable, CaseIterable {
    /// A compliant MP4 is copied untouched; anything else becomes an H.264 MP4 inside the box.
    case fit
    /// The original file, copied byte for byte whatever it is.
    case keep
    /// No video file: frames only.
    case none
    /// An H.264 MP4 holding exactly the frames the model samples (docs/kimi-api.md §3.1: min(2, fps)
    /// a second, NumPy's linspace over the frames) at the size it resizes each to: the same tokens
    /// as `fit` by the model's own arithmetic, a fraction of the bytes (``VideoEncodePlan/ModelRate``).
    case model
}

/// How the video file sent to the model is made: pure, from header facts alone.
///
/// Compliant (copied untouched): an MP4 whose video is H.264 inside the box, whose audio (if any,
/// and kept) is AAC or MP3, at most `--max-fps` and within the byte budget. Otherwise the video is
/// re-encoded to H.264 (libx264) when it must change (size, codec, frame rate), or only its packets
/// are copied into a new MP4 when just the container or the audio is wrong; audio is copied when
/// MP4 carries it (AAC, MP3), re-encoded to AAC otherwise, or dropped with `--no-audio`.
public struct VideoEncodePlan: Sendable, Codable, Hashable {
    /// What happens to the video file: nothing, a copy of the original, or a write (remux or encode).
    public enum Action: String, Sendable, Codable, Hashable {
        /// The original bytes are the output.
        case passthrough
        /// A new MP4 is written (see ``video`` and ``audio``).
        case write
        /// No video output.
        case none
    }

    /// What happens to one stream: copied, encoded, dropped, or absent from the input.
    public enum Stream: String, Sendable, Codable, Hashable {
        case copy, encode, drop, absent
    }

    public var action: Action
    public var video: Stream
    public var audio: Stream
    /// Stored (not upright) size of the output video; the display rotation is kept as metadata.
    public var width: Int
    public var height: Int
    /// Frames above this rate are dropped (`--max-fps`, or a budget).
    public var maxFPS: Double?
    /// The file is cut after this many seconds (a budget, or a part's length); `nil`: whole.
    public var maxDurationSeconds: Double? = nil
    /// The file starts this many seconds into the source (a part of a split video); `nil`: at the start.
    public var startSeconds: Double? = nil
    /// The video stream's bit-rate cap (bits a second) when the source is over the byte budget: the
    /// re-encode keeps its quality target (CRF) but may not exceed this rate, so the file lands under
    /// the budget (92 % of it spread over the duration, less room for the audio). A 1-hour 320×180
    /// clip of 344 MB came out at 115 MB by quality alone, still over 100 MB. `nil`: no cap.
    public var maxBitrate: Int? = nil
    /// Why the video is written rather than copied.
    public var reasons: [String]
    /// `--video model`: only the model's sampled frames are written, at a constant rate.
    public var modelRate: ModelRate? = nil

    /// The frames the model samples from the source (``VideoTokens/frameIndices`` of `sourceFrames`
    /// frames at `sourceFPS`), written as frame 0, 1, 2, … at `fps` frames a second: the model then
    /// samples every one of them (min(2, fps) = fps), so its count, and with the frame size its
    /// tokens, are those of the source. A frame's time in the file is its place on that grid
    /// (k / fps seconds), less than 0.75 s from its time in the source.
    public struct ModelRate: Sendable, Codable, Hashable {
        public var sourceFrames: Int
        public var sourceFPS: Double
        public var frames: Int
        public var fps: Double

        /// The indices (decoding order of presentation, from 0) of the source's frames to keep.
        public var frameIndices: [Int] { VideoTokens.linspaceRounded(count: sourceFrames, samples: frames) }
    }

    /// Codecs an MP4 carries that Kimi takes as they are.
    static let compliantVideoCodecs: Set<String> = ["h264"]
    static let compliantAudioCodecs: Set<String> = ["aac", "mp3"]
    /// H.264 pixel formats every decoder takes (8-bit 4:2:0; `yuvj420p` is its full-range form).
    static let compliantPixelFormats: Set<String> = ["yuv420p", "yuvj420p"]

    /// The video bit rate that keeps `seconds` of video (and its audio) inside `maxBytes`: 92 % of the
    /// budget (the container, and the encoder's overshoot around its cap), less 160 kb/s for audio
    /// that is kept, never below 64 kb/s.
    package static func bitrateCap(maxBytes: Int64, seconds: Double, audio: Stream) -> Int {
        let total = Double(maxBytes) * 0.92 * 8 / seconds
        let audioBits = audio == .copy || audio == .encode ? 160_000.0 : 0
        return max(64_000, Int(total - audioBits))
    }

    /// The largest even length ≤ `side` (at least 2).
    package static func evenSide(_ side: Int) -> Int { max(2, side & ~1) }

    public static func make(for info: MediaInfo, output: VideoOutput, resizeWidth: Int, resizeHeight: Int, maxFPS: Double?,
                            keepAudio: Bool, maxBytes: Int64) -> VideoEncodePlan {
        let audioPresent = info.hasAudio == true
        var plan = VideoEncodePlan(action: .passthrough, video: .copy, audio: audioPresent ? .copy : .absent,
                                   width: info.storedWidth, height: info.storedHeight, maxFPS: maxFPS, reasons: [])
        switch output {
        case .none:
            plan.action = .none
            plan.video = .absent
            plan.audio = .absent
            return plan
        case .keep:
            return plan
        case .fit, .model:
            break
        }
        var encodeVideo = false
        if resizeWidth < info.storedWidth || resizeHeight < info.storedHeight {
            plan.reasons.append("\(info.storedWidth)×\(info.storedHeight) is outside the box")
            encodeVideo = true
        }
        let codec = info.videoCodec ?? "unknown"
        if !compliantVideoCodecs.contains(codec) {
            plan.reasons.append("the video codec is \(codec), not H.264")
            encodeVideo = true
        } else if let pixels = info.colorModel, !compliantPixelFormats.contains(pixels) {
            // High 4:4:4 / High 10 H.264 (screen recorders, some cameras) is H.264 that many
            // decoders refuse: only 8-bit 4:2:0 is copied.
            plan.reasons.append("the H.264 pixel format is \(pixels), not 8-bit 4:2:0")
            encodeVideo = true
        }
        if let maxFPS, let rate = info.frameRate, rate > maxFPS * 1.001 {
            plan.reasons.append("\(rate) fps is above maxFPS \(maxFPS)")
            encodeVideo = true
        }
        if info.bytes > maxBytes {
            plan.reasons.append("\(info.bytes) bytes is over the budget of \(maxBytes)")
            encodeVideo = true
        }
        if info.format != .mp4 { plan.reasons.append("the container is \(info.format.rawValue), not MP4") }
        if audioPresent {
            if !keepAudio {
                plan.audio = .drop
                plan.reasons.append("audio not kept (keepAudio false)")
            } else if info.audioCodec == nil || info.audioCodec == "none" || info.audioCodec == "unknown" {
                // An audio stream FFmpeg cannot name has no decoder: the video goes without it.
                plan.audio = .drop
                plan.reasons.append("the audio codec is unknown, so the audio is dropped")
            } else if let audio = info.audioCodec, !compliantAudioCodecs.contains(audio) {
                plan.audio = .encode
                plan.reasons.append("the audio codec is \(audio), re-encoded to AAC")
            }
        }
        if encodeVideo {
            // H.264 in 4:2:0 needs even sides (libx264 refuses odd ones): a 3840×1634 film fits to
            // 2048×871 and is written 2048×870; the frames keep the exact fitted size.
            plan.video = .encode
            plan.width = evenSide(resizeWidth)
            plan.height = evenSide(resizeHeight)
            if info.bytes > maxBytes, let seconds = info.durationSeconds, seconds > 0 {
                plan.maxBitrate = bitrateCap(maxBytes: maxBytes, seconds: seconds, audio: plan.audio)
            }
        }
        if !plan.reasons.isEmpty { plan.action = .write }
        return plan
    }
}

extension Conversion {
    /// What `prepare` with default options does to `info` when the API does not take it as it is:
    /// an image is re-encoded; a video is remuxed when only its container is wrong (the default
    /// ``VideoEncodePlan`` copies the video packets), else re-encoded. `nil` when accepted.
    public static func needed(for info: MediaInfo) -> Conversion? {
        guard !info.accepted else { return nil }
        switch info.kind {
        case .image:
            return .encode
        case .video:
            return VideoPlan.make(for: info, options: VideoOptions()).encode.video == .encode ? .encode : .remux
        }
    }
}

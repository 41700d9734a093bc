/// What probing learns about one file from its headers: the `probe` stage's output.
///
/// The JSON form is a public contract (`kimi-media probe --json`): every key is always present,
/// `null` when a fact does not apply or is unknown.
/// - Parameter orientation: (of `init`) the EXIF code 1–8 for an image, the display rotation in
///   degrees for a video; stored apart as ``exifOrientation`` and ``rotation``.
public struct MediaInfo: Sendable, Hashable, Codable {
    public var path: String
    public var kind: MediaKind
    public var format: MediaFormat
    /// Displayed width: orientation (EXIF or display matrix) applied.
    public var width: Int
    /// Displayed height: orientation applied.
    public var height: Int
    /// Width of the stored pixels.
    public var storedWidth: Int
    /// Height of the stored pixels.
    public var storedHeight: Int
    /// Images: the EXIF orientation (``ExifOrientation/up`` when absent; it may also mirror).
    /// Videos: always ``ExifOrientation/up`` — see ``rotation``.
    public var exifOrientation: ExifOrientation
    /// Degrees clockwise (0, 90, 180, 270) the stored pixels are turned to show upright: a video's
    /// display matrix (phones' `rotate` tag), or the turn in an image's EXIF orientation (a mirror,
    /// if any, is in ``exifOrientation`` only).
    public var rotation: Int
    public var hasAlpha: Bool
    /// More than one frame in an image file (animated GIF, WebP or PNG). Always `false` for video.
    public var animated: Bool
    /// Frames in the file: 1 for a still image; for video, the container's count, or duration × rate.
    public var frameCount: Int?
    public var durationSeconds: Double?
    /// Average frame rate of a video.
    public var frameRate: Double?
    /// Codec of the video stream (FFmpeg's codec name, e.g. `h264`).
    public var videoCodec: String?
    public var audioCodec: String?
    public var hasAudio: Bool
    /// Mean seconds between keyframes when the container's index lists every frame (MP4, MOV, 3GP,
    /// AVI); the whole duration when the only keyframe is the first frame; otherwise `null`.
    public var keyframeInterval: Double?
    /// Keyframes listed by a container index that lists every frame; otherwise `null`.
    public var keyframeCount: Int?
    /// Bits per sample of an image (8 or 16), when the header says.
    public var bitDepth: Int?
    /// `rgb`, `gray`, `palette`, `cmyk` or `ycck` for images; the pixel format for video.
    public var colorModel: String?
    /// Progressive (JPEG) or interlaced (PNG, GIF) coding.
    public var progressive: Bool
    public var bytes: Int64
    /// The API takes the file as it is (accepted format, within the size limits).
    public var accepted: Bool
    /// What `prepare` (default options) does to make a file the API does not take as it is into one
    /// it does: `remux` (the video's packets copied into an MP4), `encode` (re-encoded: JPEG/PNG
    /// for images, H.264 MP4 for videos); `nil` when ``accepted``.
    public var convert: Conversion?
    /// Recoverable findings, e.g. a truncated file probed with `allowTruncated`.
    public var diagnostics: [Diagnostic]

    public init(
        path: String, kind: MediaKind, format: MediaFormat, storedWidth: Int, storedHeight: Int,
        orientation: Int, swapsDimensions: Bool, hasAlpha: Bool = false, animated: Bool = false,
        frameCount: Int? = nil, durationSeconds: Double? = nil, frameRate: Double? = nil,
        videoCodec: String? = nil, audioCodec: String? = nil, hasAudio: Bool = false,
        keyframeInterval: Double? = nil, keyframeCount: Int? = nil, bitDepth: Int? = nil,
        colorModel: String? = nil, progressive: Bool = false, bytes: Int64, accepted: Bool,
        diagnostics: [Diagnostic] = []
    ) {
        self.path = path
        self.kind = kind
        self.format = format
        self.storedWidth = storedWidth
        self.storedHeight = storedHeight
        self.width = swapsDimensions ? storedHeight : storedWidth
        self.height = swapsDimensions ? storedWidth : storedHeight
        // `orientation`: the EXIF code for an image, the display rotation in degrees for a video.
        if kind == .image {
            let exif = ExifOrientation(rawValue: orientation) ?? .up
            self.exifOrientation = exif
            self.rotation = exif.rotationDegrees
        } else {
            self.exifOrientation = .up
            self.rotation = ((orientation % 360) + 360) % 360
        }
        self.hasAlpha = hasAlpha
        self.animated = animated
        self.frameCount = frameCount
        self.durationSeconds = durationSeconds
        self.frameRate = frameRate
        self.videoCodec = videoCodec
        self.audioCodec = audioCodec
        self.hasAudio = hasAudio
        self.keyframeInterval = keyframeInterval
        self.keyframeCount = keyframeCount
        self.bitDepth = bitDepth
        self.colorModel = colorModel
        self.progressive = progressive
        self.bytes = bytes
        self.accepted = accepted
        self.diagnostics = diagnostics
        self.convert = nil
    }

    private enum CodingKeys: String, CodingKey {
        case path, kind, format, width, height, storedWidth, storedHeight, exifOrientation, rotation, hasAlpha, animated
        case frameCount, durationSeconds, frameRate, videoCodec, audioCodec, hasAudio, keyframeInterval
        case keyframeCount, bitDepth, colorModel, progressive, bytes, accepted, convert, diagnostics
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(kind, forKey: .kind)
        try c.encode(format, forKey: .format)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(storedWidth, forKey: .storedWidth)
        try c.encode(storedHeight, forKey: .storedHeight)
        try c.encode(exifOrientation, forKey: .exifOrientation)
        try c.encode(rotation, forKey: .rotation)
        try c.encode(hasAlpha, forKey: .hasAlpha)
        try c.encode(animated, forKey: .animated)
        try c.encode(frameCount, forKey: .frameCount)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(frameRate, forKey: .frameRate)
        try c.encode(videoCodec, forKey: .videoCodec)
        try c.encode(audioCodec, forKey: .audioCodec)
        try c.encode(hasAudio, forKey: .hasAudio)
        try c.encode(keyframeInterval, forKey: .keyframeInterval)
        try c.encode(keyframeCount, forKey: .keyframeCount)
        try c.encode(bitDepth, forKey: .bitDepth)
        try c.encode(colorModel, forKey: .colorModel)
        try c.encode(progressive, forKey: .progressive)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(accepted, forKey: .accepted)
        try c.encode(convert, forKey: .convert)
        try c.encode(diagnostics, forKey: .diagnostics)
    }
}

/// How `prepare` turns a file the API does not take into one it does (``MediaInfo/convert``).
public enum Conversion: String, Sendable, Codable, Hashable {
    /// The video's packets are copied into an MP4 (H.264 in another container).
    case remux
    /// The pixels are re-encoded: JPEG or PNG for an image, an H.264 MP4 for a video.
    case encode
}

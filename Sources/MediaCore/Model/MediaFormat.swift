/// A file's format, identified from its content (never from its name).
///
/// The formats Kimi K2.6 accepts as they are (``isAccepted``): images png, jpeg, webp, gif; videos
/// mp4, mpeg (program stream, `.mpeg`/`.mpg`), mov, avi, flv, webm, wmv (ASF), 3gp. The others are
/// what phones, cameras and screen recorders make and `prepare` converts: HEIF/HEIC and AVIF
/// (libheif), TIFF (libtiff), BMP and icons (ours), QOI and JPEG XL (FFmpeg's image decoders); Matroska, MPEG-TS, Ogg, MXF,
/// YUV4MPEG and any other container FFmpeg demuxes (``otherVideo``). ``unsupported`` is what
/// neither decodes (audio, documents, unknown bytes).
public enum MediaFormat: String, Sendable, Codable, Hashable, CaseIterable {
    case png, jpeg, webp, gif
    case mp4, mpeg, mov, avi, flv, webm, wmv
    case threeGP = "3gp"
    case heif, avif, tiff, bmp, qoi, jxl
    /// Icon containers: Windows ICO/CUR and Apple ICNS (their largest picture).
    case ico
    case mkv, mpegts, ogg, mxf, y4m
    /// A video container that FFmpeg recognises by content but that has no name of its own here
    /// (e.g. NUT, IVF, RealMedia, raw H.264/HEVC streams).
    case otherVideo = "video"
    /// An image format that FFmpeg decodes but that has no name of its own here (e.g. JPEG 2000,
    /// PCX, SGI, PPM, OpenEXR, DPX, Photoshop).
    case otherImage = "image"
    case unsupported

    /// The kind of media this format carries, or `nil` for ``unsupported``.
    public var kind: MediaKind? {
        switch self {
        case .png, .jpeg, .webp, .gif, .heif, .avif, .tiff, .bmp, .qoi, .jxl, .ico, .otherImage: .image
        case .mp4, .mpeg, .mov, .avi, .flv, .webm, .wmv, .threeGP, .mkv, .mpegts, .ogg, .mxf, .y4m, .otherVideo: .video
        case .unsupported: nil
        }
    }

    /// The API takes files of this format as they are (docs/kimi-api.md §1); the other formats of a
    /// known ``kind`` are converted by `prepare`.
    public var isAccepted: Bool {
        switch self {
        case .png, .jpeg, .webp, .gif, .mp4, .mpeg, .mov, .avi, .flv, .webm, .wmv, .threeGP: true
        default: false
        }
    }

    /// The MIME type used in a data URL or an upload.
    public var mimeType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .webp: "image/webp"
        case .gif: "image/gif"
        case .mp4: "video/mp4"
        case .mpeg: "video/mpeg"
        case .mov: "video/quicktime"
        case .avi: "video/x-msvideo"
        case .flv: "video/x-flv"
        case .webm: "video/webm"
        case .wmv: "video/x-ms-wmv"
        case .threeGP: "video/3gpp"
        case .heif: "image/heif"
        case .avif: "image/avif"
        case .tiff: "image/tiff"
        case .bmp: "image/bmp"
        case .qoi: "image/qoi"
        case .jxl: "image/jxl"
        case .ico: "image/vnd.microsoft.icon"
        case .mkv: "video/x-matroska"
        case .mpegts: "video/mp2t"
        case .ogg: "video/ogg"
        case .mxf: "application/mxf"
        case .y4m, .otherVideo, .otherImage, .unsupported: "application/octet-stream"
        }
    }

    /// The usual file extension for files written in this format.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .heif: "heic"
        case .mpegts: "ts"
        case .ogg: "ogv"
        case .otherVideo, .otherImage, .unsupported: "bin"
        default: rawValue
        }
    }
}

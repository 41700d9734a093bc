/// The container formats Kimi K2.6 accepts, identified from file content (never from the name).
///
/// Images: png, jpeg, webp, gif. Videos: mp4, mpeg (program stream, `.mpeg`/`.mpg`), mov, avi,
/// flv, webm, wmv (ASF), 3gp. Anything else is ``unsupported``.
public enum MediaFormat: String, Sendable, Codable, Hashable, CaseIterable {
    case png, jpeg, webp, gif
    case mp4, mpeg, mov, avi, flv, webm, wmv
    case threeGP = "3gp"
    case unsupported

    /// The kind of media this format carries, or `nil` for ``unsupported``.
    public var kind: MediaKind? {
        switch self {
        case .png, .jpeg, .webp, .gif: .image
        case .mp4, .mpeg, .mov, .avi, .flv, .webm, .wmv, .threeGP: .video
        case .unsupported: nil
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
        case .unsupported: "application/octet-stream"
        }
    }

    /// The usual file extension for files written in this format.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .unsupported: "bin"
        default: rawValue
        }
    }
}

/// Size limits of the Moonshot API (docs/kimi-api.md §4.3, §4.5).
public struct APILimits: Sendable, Codable, Hashable {
    /// Largest whole request body. Documented as "100M"; taken as 100,000,000 bytes, the stricter
    /// reading of MB versus MiB.
    public var maxRequestBodyBytes: Int64
    /// Largest file the Files API takes ("100 MB per file"), same reading.
    public var maxUploadBytes: Int64

    public init(maxRequestBodyBytes: Int64 = 100_000_000, maxUploadBytes: Int64 = 100_000_000) {
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxUploadBytes = maxUploadBytes
    }

    public static let `default` = APILimits()

    /// Bytes of a canonical `data:<mime>;base64,<payload>` URL for `bytes` bytes of content.
    public static func dataURLBytes(contentBytes bytes: Int64, mimeType: String) -> Int64 {
        Int64("data:\(mimeType);base64,".utf8.count) + (bytes + 2) / 3 * 4
    }

    /// Whether the API takes a file of this format and size as it is: an image inline as a data
    /// URL inside one request body, a video as an upload (`ms://` reference).
    public func accepts(format: MediaFormat, bytes: Int64) -> Bool {
        guard bytes > 0, format.isAccepted, let kind = format.kind else { return false }
        switch kind {
        case .image: return Self.dataURLBytes(contentBytes: bytes, mimeType: format.mimeType) <= maxRequestBodyBytes
        case .video: return bytes <= maxUploadBytes
        }
    }
}

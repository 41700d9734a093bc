/// Whether a file is a still/animated image or a video.
public enum MediaKind: String, Sendable, Codable, Hashable, CaseIterable {
    case image
    case video
}

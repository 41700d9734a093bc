/// File-name extensions a folder walk picks up. Content decides the format; the extension only
/// decides which files in a folder are worth opening. Extensions of media the API refuses are
/// included so that a walk reports them as unsupported instead of silently leaving them out.
public enum MediaExtensions {
    /// Extensions of formats the API accepts.
    public static let accepted: Set<String> = [
        "png", "apng", "jpg", "jpeg", "jpe", "jfif", "webp", "gif",
        "mp4", "m4v", "mpeg", "mpg", "mpe", "m1v", "m2v", "vob", "mov", "qt", "avi", "flv",
        "webm", "wmv", "asf", "3gp", "3gpp", "3g2",
    ]
    /// Extensions of common media the API does not accept (reported as unsupported).
    public static let refused: Set<String> = [
        "bmp", "tif", "tiff", "heic", "heif", "avif", "jxl", "svg", "ico", "psd",
        "mkv", "ts", "mts", "m2ts", "ogv", "rm", "rmvb", "m4a", "mp3", "wav", "aac", "flac", "ogg", "opus",
    ]

    /// Whether a folder walk should report a file with this name.
    public static func isMediaFile(named name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        let ext = name[name.index(after: dot)...].lowercased()
        return accepted.contains(ext) || refused.contains(ext)
    }
}

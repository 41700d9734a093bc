/// File-name extensions a folder walk picks up without reading the file. Content decides the
/// format; a file with another extension (or none) is still taken when its first bytes are media
/// (the walk sniffs it), so a camera's `.mpo` or a misnamed photo is found as when it is named.
public enum MediaExtensions {
    /// Extensions of formats the API accepts.
    public static let accepted: Set<String> = [
        "png", "apng", "jpg", "jpeg", "jpe", "jfif", "webp", "gif",
        "mp4", "m4v", "mpeg", "mpg", "mpe", "m1v", "m2v", "vob", "mov", "qt", "avi", "flv",
        "webm", "wmv", "asf", "3gp", "3gpp", "3g2",
    ]
    /// Extensions of media the API does not accept as it is: converted by `prepare`, or reported
    /// with the reason (audio, vector images).
    public static let refused: Set<String> = [
        "bmp", "tif", "tiff", "heic", "heif", "hif", "avif", "jxl", "qoi", "jp2", "j2k", "mpo", "svg", "ico", "psd",
        "mkv", "ts", "mts", "m2ts", "ogv", "mxf", "y4m", "nut", "ivf", "rm", "rmvb", "m4a", "mp3", "wav", "aac", "flac",
        "ogg", "opus",
    ]

    /// Whether a folder walk should report a file with this name.
    public static func isMediaFile(named name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        let ext = name[name.index(after: dot)...].lowercased()
        return accepted.contains(ext) || refused.contains(ext)
    }
}

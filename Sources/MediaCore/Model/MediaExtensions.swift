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

    /// Extensions of the containers and audio files FFmpeg reads: every media extension but a still image's.
    public static let decodedByFFmpeg: Set<String> = accepted.union(refused).subtracting([
        "png", "apng", "jpg", "jpeg", "jpe", "jfif", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif", "hif", "avif", "jxl",
        "qoi", "jp2", "j2k", "mpo", "svg", "ico", "psd",
    ])

    /// Whether a folder walk should report a file with this name.
    public static func isMediaFile(named name: String) -> Bool {
        guard let ext = fileExtension(name) else { return false }
        return accepted.contains(ext) || refused.contains(ext)
    }

    /// Whether a file with this name is (by its extension) in a format the API accepts as it is.
    public static func isAccepted(named name: String) -> Bool {
        fileExtension(name).map(accepted.contains) ?? false
    }

    /// Whether a file with this name is (by its extension) one FFmpeg reads.
    public static func isDecodedByFFmpeg(named name: String) -> Bool {
        fileExtension(name).map(decodedByFFmpeg.contains) ?? false
    }

    private static func fileExtension(_ name: String) -> String? {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex, !name[dot...].contains("/") else { return nil }
        return name[name.index(after: dot)...].lowercased()
    }
}

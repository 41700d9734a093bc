/// The one error type of the media pipeline: a code to switch on, a message that names the file
/// and the stage, the underlying cause (e.g. an `FFmpegError`), and where it was raised.
public struct MediaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, stable across releases (it appears in manifests as `error.code`).
    public enum Code: String, Sendable, Codable, Hashable, CaseIterable {
        /// The content is not a format the API accepts (or not media at all).
        case unsupportedFormat
        /// The content claims a format but its structure is invalid.
        case corruptInput
        /// The file ends before its structure says it should.
        case truncatedInput
        /// A header declares more than ``MediaLimits`` allow (pixels, frames, duration).
        case limitExceeded
        case decodeFailed
        case encodeFailed
        /// The file could not be read or written.
        case io
        case cancelled
        /// The file took longer than its wall-clock budget (`prepare --file-timeout`) and was abandoned.
        case timeout
        case invalidOptions
    }

    public var code: Code
    /// The file concerned.
    public var path: String
    public var stage: PipelineStage
    /// What happened, in words, without the path (``description`` adds it).
    public var message: String
    public var cause: (any Error & Sendable)?
    public var file: String
    public var line: Int

    public init(
        _ code: Code, path: String, stage: PipelineStage, _ message: String,
        cause: (any Error & Sendable)? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.path = path
        self.stage = stage
        self.message = message
        self.cause = cause
        self.file = file
        self.line = line
    }

    /// `PATH: STAGE: MESSAGE (cause)`: one line that a user can act on.
    public var description: String {
        var text = "\(path): \(stage): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }

    /// The `{code, message}` pair written to JSON output and manifests.
    public var summary: Summary { Summary(code: code, message: description) }

    /// The serialisable form of a ``MediaError``.
    public struct Summary: Sendable, Codable, Hashable {
        public var code: Code
        public var message: String
        public init(code: Code, message: String) {
            self.code = code
            self.message = message
        }
    }
}

/// A recoverable finding recorded in the manifest instead of printed: the work went on.
public struct Diagnostic: Sendable, Codable, Hashable, CustomStringConvertible {
    /// A stable identifier, e.g. `truncated`, `exif-orientation-applied`, `first-frame-used`.
    public var code: String
    public var stage: PipelineStage
    public var message: String

    public init(code: String, stage: PipelineStage, message: String) {
        self.code = code
        self.stage = stage
        self.message = message
    }

    public var description: String { "\(stage): \(message) [\(code)]" }
}

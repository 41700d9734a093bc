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

    /// The routine record of what was done (a video written or split, an orientation applied),
    /// which the manifest keeps and a command's output or the report need not repeat — unlike the
    /// notes that answer what the user asked or warn (a budget out of reach, nothing to split, damage).
    public var isRoutine: Bool { ["video-written", "video-split", "orientation-applied", "rotation-applied"].contains(code) }
}

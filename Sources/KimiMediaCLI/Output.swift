import Foundation

/// Where commands write their output. The standard streams by default; tests bind a capturing sink
/// with `Output.$current.withValue(...)`, so commands run in process without global state.
public struct Output: Sendable {
    public var standardOutput: @Sendable (String) -> Void
    public var standardError: @Sendable (String) -> Void

    public init(standardOutput: @escaping @Sendable (String) -> Void, standardError: @escaping @Sendable (String) -> Void) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    public static let standard = Output(
        standardOutput: { FileHandle.standardOutput.write(Data($0.utf8)) },
        standardError: { FileHandle.standardError.write(Data($0.utf8)) }
    )

    @TaskLocal public static var current: Output = .standard

    static func print(_ line: String) { current.standardOutput(line + "\n") }
    static func printError(_ line: String) { current.standardError(line + "\n") }
}

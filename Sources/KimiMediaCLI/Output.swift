import ArgumentParser
import Foundation
import KimiMedia

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

/// Which of a file's diagnostics a command says beside its line: those that answer what the user
/// asked or warn, not the routine record of what was done (``Diagnostic/isRoutine``; the manifest
/// keeps every one).
enum Notes {
    static func worthSaying(_ diagnostics: [Diagnostic]) -> [String] {
        diagnostics.filter { !$0.isRoutine }.map(\.message)
    }
}

/// Paths that held no image or video at all (a wrong folder, a typo'd glob): said, and exit 1 —
/// not "0 tokens in all" and success.
enum NoMedia {
    static func check(_ found: Int, in paths: [String]) throws {
        guard found == 0 else { return }
        Output.printError("error: no images or videos in \(paths.joined(separator: ", ")) (folders are walked and each file "
            + "is taken by its content; hidden ones are left out)")
        throw ExitCode(1)
    }
}

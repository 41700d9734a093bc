import ArgumentParser
import KimiMedia

/// The command lines most runs are, made into their commands without ArgumentParser:
///
///     kimi-media probe [--json] PATH...
///     kimi-media prepare PATH... --out DIR [--quiet] [--json]
///
/// ArgumentParser finds a command's options by reflection at every start (`Mirror` over each
/// command and option group, dynamic casts of every property wrapper, two pseudo-commands parsed
/// for `--generate-completion-script`): each cast the process has not made before scans the whole
/// binary's ~10,000 protocol conformances. That was 22 M instructions of a 38 M `probe` of one
/// small JPEG and 44 M of an 86 M `prepare` (callgrind, `make bench-check`'s `probe-one` and
/// `prepare-one`).
///
/// Only these shapes are taken: paths that do not start with `-` (and are not `help`), and the
/// named flags and options, each at most once, an option's value after a space or `=`. Anything
/// else — another option, `--`, `-`, `--help`, a repeat, a value that looks like an option, a
/// command or option group whose `validate()` fails — returns nil and ArgumentParser parses the
/// line as always, with its own messages. Every other value is the declaration's default, from the
/// same sources (``ProbeCommand/common(_:)``, ``PrepareCommand/common(_:)``, each group's
/// `defaults`: a new option must be set there too); `CommonCommandLineTests` checks that each
/// command made here is the one ArgumentParser makes of the same line.
enum CommonCommandLine {
    static func command(_ arguments: [String]) -> (any AsyncParsableCommand)? {
        guard let name = arguments.first else { return nil }
        let words = arguments.dropFirst()
        switch name {
        case ProbeCommand.configuration.commandName:
            return validated(ProbeCommand.common(words)) { command in try command.limits.validate() }
        case PrepareCommand.configuration.commandName:
            return validated(PrepareCommand.common(words)) { command in
                try command.sent.validate()
                try command.budgets.validate()
                try command.api.validate()
                try command.limits.validate()
            }
        default: return nil
        }
    }

    /// `command` once its checks pass, its option groups' first as ArgumentParser runs them while it
    /// decodes; a line they refuse is left to ArgumentParser, which says why.
    private static func validated<Command: AsyncParsableCommand>(_ command: Command?,
                                                                 groups: (inout Command) throws -> Void) -> Command? {
        guard var command else { return nil }
        do {
            try groups(&command)
            try command.validate()
        } catch { return nil }
        return command
    }
}

/// The words after the command's name, in the common shape: paths, and named flags and options
/// given at most once (nil for anything else).
struct CommonWords {
    private(set) var paths: [String] = []
    private(set) var flags: Set<String> = []
    private(set) var options: [String: String] = [:]

    init?(_ words: ArraySlice<String>, flags knownFlags: Set<String> = [], options knownOptions: Set<String> = []) {
        var words = words
        while let word = words.popFirst() {
            guard word.hasPrefix("-") else {
                // `help` is ArgumentParser's word only first on the line (its help command), and a
                // path here; left to ArgumentParser all the same, so the two can never differ.
                guard word != "help" else { return nil }
                paths.append(word)
                continue
            }
            let equals = word.firstIndex(of: "=")
            let name = equals.map { String(word[..<$0]) } ?? word
            if equals == nil, knownFlags.contains(name) {
                guard flags.insert(name).inserted else { return nil }
                continue
            }
            guard knownOptions.contains(name), options[name] == nil,
                  let value = equals.map({ String(word[word.index(after: $0)...]) }) ?? words.popFirst(),
                  !value.isEmpty, !value.hasPrefix("-") else { return nil }
            options[name] = value
        }
    }
}

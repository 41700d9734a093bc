import ArgumentParser
import KimiMedia

/// `kimi-media`: the root command. Subcommands are added here as issues land.
public struct KimiMediaCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kimi-media",
        abstract: "Prepare images and videos for Kimi K2.6, and know what they cost before sending.",
        discussion: """
            Exit status: 0 when every input succeeded, 1 when some inputs failed (the others are \
            still reported), 2 on a usage error.
            """,
        // The base version, the one place it is written; the GitVersion plugin adds the commit
        // (0.1.0+git.161.4196b50, .dirty with uncommitted changes, +unknown outside git).
        version: "0.1.0+" + gitVersionSuffix,
        subcommands: [ProbeCommand.self, PrepareCommand.self, EstimateCommand.self, RequestCommand.self, FilesCommand.self, ModelsCommand.self,
                      BalanceCommand.self, MergeCommand.self, ServeCommand.self]
    )

    public init() {}

    /// Waits for work the run started in the background and may not have needed (FFmpeg's load):
    /// the executable calls it before it exits.
    public static func finishBackgroundWork() { Preparer.finishWarmUp() }

    /// Runs the command line `arguments` (without the program name) and returns the exit status:
    /// the one entry point for the executable and for in-process tests.
    public static func main(arguments: [String]) async -> Int32 {
        // A video named on the command line: FFmpeg loads while the arguments are parsed.
        if arguments.contains(where: MediaExtensions.isDecodedByFFmpeg(named:)) { Preparer.warmUpVideo() }
        do {
            if var command = CommonCommandLine.command(arguments) {
                try await command.run()
                return 0
            }
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Output.print(fullMessage(for: error))
                return 0
            }
            if let exit = error as? ExitCode { return exit.rawValue }
            Output.printError(fullMessage(for: error))
            // ArgumentParser reports usage errors as EX_USAGE (64); our contract says 2.
            return code == .validationFailure ? 2 : (code.rawValue == 1 ? 1 : 2)
        }
    }
}

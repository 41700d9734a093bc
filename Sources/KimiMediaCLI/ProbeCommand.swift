import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media probe PATH...`: facts about each file from its headers.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Report size, orientation, format and timing of images and videos, from headers only.",
        discussion: """
            Reads what phones, cameras and screen recorders make: the API's formats, and HEIC/AVIF, TIFF, \
            BMP, QOI, JPEG XL, Matroska, MPEG-TS, Ogg, MXF and anything else FFmpeg decodes, which \
            `prepare` converts (OK column / "convert": remux or encode). Folders are walked recursively \
            (hidden entries skipped), files taken by content. With --json, one JSON object per input and \
            line; otherwise a table. Exit status 1 when any input failed.
            """
    )

    @Argument(help: "Files or folders to probe.", completion: .file())
    var paths: [String]

    @Flag(help: "One JSON object per line instead of a table.")
    var json = false

    @OptionGroup var limits: LimitOptions

    @Option(help: "Files probed in parallel (default: the number of cores).")
    var jobs: Int?

    /// --jobs, or one per core.
    var jobCount: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

    /// `probe [--json] PATH...` (``CommonCommandLine``): every other option at its default.
    static func common(_ words: ArraySlice<String>) -> ProbeCommand? {
        guard let words = CommonWords(words, flags: ["--json"]), !words.paths.isEmpty else { return nil }
        var command = ProbeCommand()
        command.paths = words.paths
        command.json = words.flags.contains("--json")
        command.limits = .defaults
        command.jobs = nil
        return command
    }

    func validate() throws {
        guard jobCount >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let prober = Prober(options: limits.probeOptions)
        let table = ProbeTable()
        var failed = 0, seen = 0
        if !json { Output.print(table.header) }
        let encoder = JSONEncoder.canonical()
        for await result in prober.probe(inputs: paths, jobs: jobCount) {
            seen += 1
            if result.error != nil { failed += 1 }
            if json {
                let line = String(decoding: try encoder.encode(result), as: UTF8.self)
                Output.print(line)
            } else {
                Output.print(table.row(result))
            }
        }
        try NoMedia.check(seen, in: paths)
        if failed > 0 {
            Output.printError("\(counted(failed, "input")) failed")
            throw ExitCode(1)
        }
    }
}

/// Limits shared by every command that reads media.
struct LimitOptions: ParsableArguments {
    @Option(help: "Refuse images and frames with more pixels than this (checked before decoding).")
    var maxPixels: Int = MediaLimits.default.maxPixels

    @Option(help: "Seconds allowed for opening one video and reading its stream info.")
    var probeTimeout: Double = MediaLimits.default.probeTimeoutSeconds

    @Flag(help: "Report truncated files with a diagnostic instead of failing them.")
    var allowTruncated = false

    /// Every option at its default (``CommonCommandLine``).
    static var defaults: LimitOptions {
        var options = LimitOptions()
        options.maxPixels = MediaLimits.default.maxPixels
        options.probeTimeout = MediaLimits.default.probeTimeoutSeconds
        options.allowTruncated = false
        return options
    }

    func validate() throws {
        guard maxPixels >= 1 else { throw ValidationError("--max-pixels must be at least 1") }
        guard probeTimeout > 0 else { throw ValidationError("--probe-timeout must be positive") }
    }

    var probeOptions: ProbeOptions {
        var limits = MediaLimits.default
        limits.maxPixels = maxPixels
        limits.probeTimeoutSeconds = probeTimeout
        return ProbeOptions(limits: limits, allowTruncated: allowTruncated)
    }
}

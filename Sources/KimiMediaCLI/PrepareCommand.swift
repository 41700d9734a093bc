import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media prepare PATH... --out DIR`: images fitted for Kimi K2.6, written under DIR with a
/// manifest line per input.
struct PrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Make images and videos API-ready: fitted, converted, upright, with frames and a manifest.",
        discussion: """
            Writes each prepared file under --out (mirroring the folders it was found in) and one JSON \
            line per input to OUT/manifest.jsonl: source, kind, status (ok|error|skipped), outputs \
            (path, format, width, height, bytes, tokens; video frames also timestampSeconds, keyframe), \
            tokens, passthrough, diagnostics, error. Images: inside 4096×2160 (or the model's own size), \
            upright, as JPEG (PNG with alpha); HEIC/AVIF, TIFF, BMP, QOI, JPEG XL and other formats are \
            converted; an accepted image already inside the box is copied byte for byte once it is shown \
            to decode. Videos: a compliant H.264 MP4 ≤ 2048×1080 (copied, remuxed or re-encoded, from \
            any container FFmpeg reads) and frames as JPEGs in a folder named after the video. Outputs \
            appear only complete (written to a temporary name, then renamed); originals are never modified.
            """
    )

    @Argument(help: "Image and video files, or folders (walked recursively; files taken by content).", completion: .file())
    var paths: [String] = []

    @Option(help: ArgumentHelp("Read more inputs from FILE ('-': standard input), one per line or NUL-separated (find -print0).",
                               valueName: "FILE"), completion: .file())
    var filesFrom: String?

    @Option(help: ArgumentHelp("In folders, take only files matching GLOB (path below the folder, or name; repeatable).", valueName: "GLOB"))
    var include: [String] = []

    @Option(help: ArgumentHelp("In folders, leave out files matching GLOB (path below the folder, or name; repeatable).", valueName: "GLOB"))
    var exclude: [String] = []

    @Option(name: .long, help: "The output folder.", completion: .directory)
    var out: String

    @OptionGroup(title: "What is sent") var sent: SentOptions

    @Option(help: "auto (JPEG, PNG with alpha) | keep | jpeg | png | webp.")
    var format: OutputFormatChoice = ImageOptions().format

    @Option(help: "JPEG/WebP quality, 1–100.")
    var quality: Int = ImageOptions().quality

    @Option(help: ArgumentHelp("Video frames: keyframes | model (exactly the frames Kimi samples: min(2, fps) a second) | every:SECONDS | none.",
                               valueName: "selection"))
    var frames: FrameSelection = VideoOptions().frames

    @Flag(help: "Video file: drop the audio.")
    var noAudio = false

    @Option(help: ArgumentHelp("Give up on one input after this many seconds (a stuck decoder): its line is an error with code timeout and the batch goes on; 0: no limit.",
                               valueName: "SECONDS"))
    var fileTimeout: Double = Self.defaultFileTimeout

    @OptionGroup(title: "Token budgets") var budgets: BudgetOptions

    @Flag(help: "Video frames: drop a frame that looks like the last one kept (static slides, screen recordings).")
    var dedupe = false

    @Option(help: ArgumentHelp("With --dedupe: how alike counts as the same (mean difference of a 16×16 luma grid, levels of 255).",
                               valueName: "LEVELS"))
    var dedupeThreshold: Double = Self.defaultDedupeThreshold

    @Option(help: "Video: at most N frames, spread evenly over the duration.")
    var maxFrames: Int?

    @Option(help: "Video: drop frames closer than SECONDS to the previous one kept.")
    var minGap: Double?

    @Option(help: "Files prepared in parallel (default: the number of cores).")
    var jobs: Int?

    /// --jobs, or one per core.
    var jobCount: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

    @Option(help: ArgumentHelp("Take only shard I of N (0 ≤ I < N), partitioned by path hash; writes manifest.shard-I-of-N.jsonl.",
                               valueName: "I/N"))
    var shard: Shard?

    @Option(help: "The number of shards, with the index from $JOB_COMPLETION_INDEX (Kubernetes Indexed Job).")
    var shards: Int?

    @Flag(help: "Walk hidden files and folders too.")
    var hidden = false

    @Flag(help: "Redo every input, even those the manifest already has.")
    var noResume = false

    @Option(help: "Write a self-contained HTML report (thumbnails, sizes, tokens, errors) to this file.", completion: .file())
    var report: String?

    @Option(help: "Input price per million tokens, for the cost line of the summary.")
    var pricePerMtok: Double?

    @Flag(help: "No progress and no per-file lines (the summary still goes to standard error).")
    var quiet = false

    @Flag(help: "Also ask the API for each output's tokens (manifest field remoteTokens; needs a key; videos are uploaded once).")
    var remote = false

    @Option(help: "The model whose count --remote asks for.")
    var model: String = PayloadPlanner().model

    @OptionGroup var api: APIOptions

    @OptionGroup var limits: LimitOptions

    @Flag(help: "Print each manifest line to standard output as well.")
    var json = false

    static let defaultFileTimeout: Double = 1800
    static let defaultDedupeThreshold: Double = 3

    /// `prepare PATH... --out DIR [--quiet] [--json]` (``CommonCommandLine``): every other option at
    /// its default.
    static func common(_ words: ArraySlice<String>) -> PrepareCommand? {
        guard let words = CommonWords(words, flags: ["--quiet", "--json"], options: ["--out"]), !words.paths.isEmpty,
              let out = words.options["--out"] else { return nil }
        var command = PrepareCommand()
        command.paths = words.paths
        command.filesFrom = nil
        command.include = []
        command.exclude = []
        command.out = out
        command.sent = .defaults
        command.format = ImageOptions().format
        command.quality = ImageOptions().quality
        command.frames = VideoOptions().frames
        command.noAudio = false
        command.fileTimeout = defaultFileTimeout
        command.budgets = .defaults
        command.dedupe = false
        command.dedupeThreshold = defaultDedupeThreshold
        command.maxFrames = nil
        command.minGap = nil
        command.jobs = nil
        command.shard = nil
        command.shards = nil
        command.hidden = false
        command.noResume = false
        command.report = nil
        command.pricePerMtok = nil
        command.quiet = words.flags.contains("--quiet")
        command.remote = false
        command.model = PayloadPlanner().model
        command.api = .defaults
        command.limits = .defaults
        command.json = words.flags.contains("--json")
        return command
    }

    func validate() throws {
        guard jobCount >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard !paths.isEmpty || filesFrom != nil else { throw ValidationError("give files or folders, or --files-from FILE") }
        _ = try imageOptions()
        _ = try videoOptions()
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
        if shard != nil && shards != nil { throw ValidationError("--shard I/N and --shards N exclude each other") }
        guard fileTimeout >= 0, fileTimeout.isFinite else { throw ValidationError("--file-timeout must be 0 (no limit) or more") }
        if let pricePerMtok, pricePerMtok < 0 { throw ValidationError("--price-per-mtok must not be negative") }
    }

    func run() async throws { try await api.withClient(if: remote) { client in try await run(client) } }

    /// The library's options from the flags (ranges checked there, named here by flag).
    func imageOptions() throws -> ImageOptions {
        try OptionFlags.make { () throws(OptionsError) in
            var options = try ImageOptions(fit: sent.fit, maxSide: sent.maxSide, format: format, quality: quality)
            options.tiles = sent.tiles.options(threshold: sent.tileThreshold)
            try options.validate()
            return options
        }
    }

    func videoOptions() throws -> VideoOptions {
        try OptionFlags.make { () throws(OptionsError) in
            try VideoOptions(frames: frames, maxSide: sent.maxSide, quality: quality, maxFrames: maxFrames, minGapSeconds: minGap,
                             output: sent.video, maxFPS: sent.maxFps, keepAudio: !noAudio, budget: budgets.budget, keep: Set(budgets.keep),
                             dedupe: dedupe ? dedupeThreshold : nil, segments: budgets.segments)
        }
    }

    func run(_ client: MoonshotClient?) async throws {
        // Threads per file: the batch shares the cores among the files running (BatchPreparer.threads).
        let preparer = Preparer(probeOptions: limits.probeOptions, imageOptions: try imageOptions(), videoOptions: try videoOptions())
        let environment = ProcessInfo.processInfo.environment
        var shard = self.shard
        if shard == nil {
            do throws(ShardError) { shard = try Shard.fromEnvironment(environment, shards: shards) } catch {
                throw ValidationError(error.description)
            }
        }
        if shards != nil && shard == nil {
            throw ValidationError("--shards needs $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID (or use --shard I/N)")
        }
        let stop = StopSignal()
        stop.install()
        defer { stop.uninstall() }
        let progress = ProgressLine(quiet: quiet)
        let json = json, quiet = quiet
        let encoder = JSONEncoder.canonical()
        var batchOptions = BatchOptions(shard: shard, resume: !noResume, hidden: hidden,
                                        shouldStop: { stop.requested })
        batchOptions.include = include
        batchOptions.exclude = exclude
        batchOptions.budgetTotal = budgets.budgetTotal
        batchOptions.fileTimeout = fileTimeout > 0 ? fileTimeout : nil
        var paths = paths
        if let filesFrom {
            let data = filesFrom == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: filesFrom)
            guard let data else { throw ValidationError("cannot read --files-from \(filesFrom)") }
            paths += InputWalker.paths(fromList: data)
        }
        batchOptions.onPlanned = { toDo, _ in progress.plan(toDo) }
        if let client {
            do { try await client.preflight(model: model, isDefaultModel: model == PayloadPlanner().model) } catch {
                Output.printError("error: \(error)")
                throw ExitCode(1)
            }
            let cache = api.cache, model = model
            batchOptions.remoteTokens = { item in
                let builder = RequestBuilder(planner: PayloadPlanner(model: model), client: client, cache: cache)
                let size = item.bytes.map { Int64($0.count) }
                    ?? (FileSize.of(item.path ?? "") ?? 0)
                let part = try await builder.part(for: PayloadItem(path: item.path ?? "", format: item.format, bytes: size), bytes: item.bytes)
                return try await client.estimateTokens(model: model, messages: [.user([part])])
            }
        }
        let result: BatchResult
        do {
            result = try await BatchPreparer(preparer: preparer, jobs: jobCount).run(paths, into: out, options: batchOptions) { entry in
                progress.add(entry)
                if json, let line = try? encoder.encode(entry) {
                    Output.print(String(decoding: line, as: UTF8.self))
                } else if !json && !quiet {
                    progress.clear()
                    Output.print(Self.describe(entry))
                    for note in Notes.worthSaying(entry.diagnostics) { Output.print("         note: \(note)") }
                }
                progress.show()
            }
        } catch {
            progress.clear()
            Output.printError("error: \(error)")
            throw ExitCode(error.code == .invalidOptions ? 2 : 1)
        }
        progress.clear()
        let summary = result.summary
        if summary.failed == 0 { try NoMedia.check(result.mediaFound, in: paths) }
        for line in summary.lines(pricePerMillion: pricePerMtok, resumed: result.resumed) { Output.printError(line) }
        if let shard { Output.printError("shard \(shard): \(result.total) of the inputs; join shards with `kimi-media merge \(out)`") }
        if let budgetTotal = budgets.budgetTotal, shard == nil {
            Output.printError(summary.tokens <= budgetTotal ? "within --budget-total \(budgetTotal): \(summary.tokens) tokens"
                : "warning: \(summary.tokens) tokens, over --budget-total \(budgetTotal) (see the budget-unreachable diagnostics)")
        }
        Output.printError("manifest: \(result.manifestPath)")
        if let report {
            do {
                // The report reads the finished manifest (the run itself keeps no entries).
                let entries = ManifestEntry.entries(inJSONLines: FileManager.default.contents(atPath: result.manifestPath) ?? Data())
                try ReportWriter(outputFolder: out).write(entries: entries, summary: summary, pricePerMillion: pricePerMtok, to: report)
                Output.printError("report: \(report)")
            } catch {
                Output.printError("error: cannot write the report \(report): \(error)")
            }
        }
        if result.interrupted {
            Output.printError("interrupted: \(result.written + result.resumed) of \(result.total) done; "
                + "run the same command again to resume")
            throw ExitCode(130)
        }
        if summary.failed > 0 { throw ExitCode(1) }
    }

    static func describe(_ entry: ManifestEntry) -> String {
        switch entry.status {
        case .ok where entry.kind == .video:
            let frames = entry.outputs.filter { $0.timestampSeconds != nil }
            let file = entry.outputs.first { $0.timestampSeconds == nil }
            let folder = entry.outputs.first.map { ($0.path as NSString).deletingLastPathComponent } ?? ""
            let parts = entry.outputs.filter { $0.segment != nil }
            let video = parts.count > 1
                ? "\(parts.count) parts part-001…\(String(format: "%03d", parts.count)).mp4 \(parts[0].width)x\(parts[0].height) "
                    + "\(parts.map(\.bytes).reduce(0, +)) B (≤ \(parts.map(\.tokens).max() ?? 0) tokens each), "
                : file.map { "\(($0.path as NSString).lastPathComponent) \($0.width)x\($0.height) \($0.bytes) B"
                    + (entry.passthrough ? " (the original, already API-ready)" : "") + ", " } ?? ""
            return "ok       \(entry.source) → \(folder)/ \(video)\(counted(frames.count, "frame")) \(frames.first.map { "\($0.width)x\($0.height)" } ?? "")"
                + " \(frames.map(\.bytes).reduce(0, +)) B; video ≈ \(entry.tokens ?? 0) tokens"
        case .ok:
            let o = entry.outputs[0]
            return "ok       \(entry.source) → \(o.path) \(o.width)x\(o.height) \(o.bytes) B \(o.tokens) tokens"
                + (entry.passthrough ? " (the original, already API-ready)" : "")
        case .error:
            return "error    \(entry.error.map { "\($0.code.rawValue): \($0.message)" } ?? entry.source)"
        case .skipped:
            return "skipped  \(entry.source): \(entry.diagnostics.first?.message ?? "")"
        }
    }
}

extension FitMode: ExpressibleByArgument {}
extension BudgetLever: ExpressibleByArgument {}
extension VideoOutput: ExpressibleByArgument {}
extension Shard: ExpressibleByArgument {}
extension FrameSelection: ExpressibleByArgument {}  // MediaCore's init?(argument:) is the one grammar
extension SegmentRequest: ExpressibleByArgument {}
extension OutputFormatChoice: ExpressibleByArgument {}

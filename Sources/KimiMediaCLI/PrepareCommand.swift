import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media prepare PATH... --out DIR`: images fitted for Kimi K2.6, written under DIR with a
/// manifest line per input.
struct PrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Fit images to 4096×2160 (or the model's own size), extract video keyframes at ≤ 2048×1080, with a manifest.",
        discussion: """
            Writes each prepared image under --out (mirroring the folders it was found in) and one JSON \
            line per input to OUT/manifest.jsonl: source, kind, status (ok|error|skipped), outputs \
            (path, format, width, height, bytes, tokens; video frames also timestampSeconds, keyframe), \
            tokens, passthrough, diagnostics, error. Videos: their keyframes as JPEGs in a folder named \
            after the video (the ≤ 2K re-encode and other frame selections are not built yet). Images \
            already inside the box, upright and in an accepted format are copied byte for byte. Outputs \
            appear only complete (written to a temporary name, then renamed); originals are never modified.
            """
    )

    @Argument(help: "Image files or folders.", completion: .file())
    var paths: [String]

    @Option(name: .long, help: "The output folder.", completion: .directory)
    var out: String

    @Option(help: "box: inside 4096×2160 (or --max-side); model: exactly the model's own resize target (same tokens, fewer bytes).")
    var fit: FitMode = .box

    @Option(help: "A custom fit box: both sides at most N pixels (instead of 4096×2160 for images, 2048×1080 for video frames).")
    var maxSide: Int?

    @Option(help: "auto (JPEG, PNG with alpha) | keep | jpeg | png | webp.")
    var format: OutputFormatChoice = .auto

    @Option(help: "JPEG/WebP quality, 1–100.")
    var quality: Int = 90

    @Option(help: ArgumentHelp("Video frames: keyframes | model (exactly the frames Kimi samples: min(2, fps) a second) | every:SECONDS | none.",
                               valueName: "selection"))
    var frames: FrameSelection = .keyframes

    @Option(help: "Video file: fit (a compliant MP4 copied, anything else written as an H.264 MP4 inside 2048×1080) | keep (the original) | none (frames only).")
    var video: VideoOutput = .fit

    @Option(help: "Video file: at most this many frames a second (re-encodes a faster video).")
    var maxFps: Double?

    @Flag(help: "Video file: drop the audio.")
    var noAudio = false

    @Option(help: "Video: at most N frames, spread evenly over the duration.")
    var maxFrames: Int?

    @Option(help: "Video: drop frames closer than SECONDS to the previous one kept.")
    var minGap: Double?

    @Option(help: "Files prepared in parallel (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var limits: LimitOptions

    @Flag(help: "Print each manifest line to standard output as well.")
    var json = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100") }
        if let maxSide, maxSide < 16 { throw ValidationError("--max-side must be at least 16") }
        if fit == .model && maxSide != nil { throw ValidationError("--max-side applies to --fit box only") }
        if let maxFrames, maxFrames < 1 { throw ValidationError("--max-frames must be at least 1") }
        if let minGap, minGap < 0 { throw ValidationError("--min-gap must not be negative") }
        if let maxFps, !(maxFps > 0 && maxFps.isFinite) { throw ValidationError("--max-fps must be a positive number") }
    }

    func run() async throws {
        let options = ImageOptions(fit: fit, maxSide: maxSide, format: format, quality: quality)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let preparer = Preparer(probeOptions: limits.probeOptions, imageOptions: options,
                                videoOptions: VideoOptions(frames: frames, maxSide: maxSide, quality: quality, maxFrames: maxFrames,
                                                           minGapSeconds: minGap, output: video, maxFPS: maxFps, keepAudio: !noAudio),
                                threadsPerImage: max(1, cores / jobs))
        let json = json
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let entries: [ManifestEntry]
        do {
            entries = try await BatchPreparer(preparer: preparer, jobs: jobs).run(paths, into: out) { entry in
                if json, let line = try? encoder.encode(entry) {
                    Output.print(String(decoding: line, as: UTF8.self))
                } else if !json {
                    Output.print(Self.describe(entry))
                }
            }
        } catch {
            Output.printError(error.description)
            throw ExitCode(1)
        }
        let ok = entries.filter { $0.status == .ok }
        let failed = entries.filter { $0.status == .error }.count
        let skipped = entries.filter { $0.status == .skipped }.count
        let bytes = ok.flatMap(\.outputs).map(\.bytes).reduce(0, +)
        let tokens = ok.compactMap(\.tokens).reduce(0, +)
        Output.printError("\(ok.count) prepared (\(ok.filter(\.passthrough).count) unchanged), \(failed) failed, \(skipped) skipped; "
                          + "\(bytes) bytes, \(tokens) tokens; manifest: \(out)/\(BatchPreparer.manifestName)")
        if failed > 0 { throw ExitCode(1) }
    }

    static func describe(_ entry: ManifestEntry) -> String {
        switch entry.status {
        case .ok where entry.kind == .video:
            let frames = entry.outputs.filter { $0.timestampSeconds != nil }
            let file = entry.outputs.first { $0.timestampSeconds == nil }
            let folder = entry.outputs.first.map { ($0.path as NSString).deletingLastPathComponent } ?? ""
            let video = file.map { "\(($0.path as NSString).lastPathComponent) \($0.width)x\($0.height) \($0.bytes) B"
                + (entry.passthrough ? " (unchanged)" : "") + ", " } ?? ""
            return "ok       \(entry.source) → \(folder)/ \(video)\(frames.count) frames \(frames.first.map { "\($0.width)x\($0.height)" } ?? "")"
                + " \(frames.map(\.bytes).reduce(0, +)) B; video ≈ \(entry.tokens ?? 0) tokens"
        case .ok:
            let o = entry.outputs[0]
            return "ok       \(entry.source) → \(o.path) \(o.width)x\(o.height) \(o.bytes) B \(o.tokens) tokens"
                + (entry.passthrough ? " (unchanged)" : "")
        case .error:
            return "error    \(entry.error.map { "\($0.code.rawValue): \($0.message)" } ?? entry.source)"
        case .skipped:
            return "skipped  \(entry.source): \(entry.diagnostics.first?.message ?? "")"
        }
    }
}

extension FitMode: ExpressibleByArgument {}
extension VideoOutput: ExpressibleByArgument {}
extension FrameSelection: ExpressibleByArgument {}  // MediaCore's init?(argument:) is the one grammar
extension OutputFormatChoice: ExpressibleByArgument {}

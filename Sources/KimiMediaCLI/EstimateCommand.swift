import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media estimate`: what files (or bare sizes) cost in prompt tokens, offline.
struct EstimateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Offline token estimates for images and videos, from their headers or from sizes alone.",
        discussion: """
            Uses the model's own preprocessing arithmetic (docs/kimi-api.md §2–§3): images resized to \
            the patch budget, plus 5 wrapper tokens; videos sampled at min(2, fps) frames a second in \
            chunks of 4, each chunk costing one frame's tokens at the per-frame budget plus 11 timestamp \
            and wrapper tokens. A file is counted as `prepare` (with the same options) will send it — an \
            image upright and fitted, a video as its fitted file — and, when that differs, beside what \
            the file would cost sent as it is; --as-is counts files as they are (what `request --raw` \
            sends). --remote asks the API about the file as it is and compares it with that count.
            """
    )

    @Argument(help: "Files or folders to estimate.", completion: .file())
    var paths: [String] = []

    @OptionGroup(title: "What is sent") var sent: SentOptions

    @Flag(help: "Count the files as they are, not as prepare will send them.")
    var asIs = false

    @Option(name: .long, parsing: .upToNextOption, help: "Estimate sizes instead of files: WxH [WxH ...].")
    var dimensions: [String] = []

    @Option(help: "With --dimensions: a video of this many frames (needs --fps).")
    var frames: Int?

    @Option(help: "With --dimensions and --frames: the video's frame rate.")
    var fps: Double?

    @Option(help: "The model whose preprocessing to apply.")
    var model: String = "kimi-k2.6"

    @Option(help: "A JSON file of extra or overriding model profiles ([ModelProfile]).", completion: .file())
    var profiles: String?

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "Also ask the API (POST /v1/tokenizers/estimate-token-count) and print both counts and their difference.")
    var remote = false

    @Option(help: "With --remote: write the calibration report (every item, and the differences by kind) to this JSON file.",
            completion: .file())
    var report: String?

    @OptionGroup(title: "Token budgets (for each video: the plan prepare would make with them — rate, size, length, parts — without doing it)")
    var budgets: BudgetOptions

    @OptionGroup var limits: LimitOptions
    @OptionGroup var api: APIOptions

    func validate() throws {
        guard paths.isEmpty != dimensions.isEmpty else {
            throw ValidationError("give either files/folders or --dimensions, not both")
        }
        if remote && !dimensions.isEmpty { throw ValidationError("--remote needs files: the API counts real content") }
        if report != nil && !remote { throw ValidationError("--report needs --remote") }
        if frames != nil || fps != nil {
            guard !dimensions.isEmpty, let frames, let fps, frames > 0, fps > 0 else {
                throw ValidationError("--frames and --fps go together, with --dimensions, and must be positive")
            }
        }
        for size in dimensions where Self.parse(size) == nil {
            throw ValidationError("'\(size)' is not a size: expected WIDTHxHEIGHT, e.g. 1920x1080")
        }
    }

    static func parse(_ size: String) -> (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0, w <= 1 << 20, h <= 1 << 20 else { return nil }
        return (w, h)
    }

    func run() async throws { try await api.withClient(if: remote) { client in try await run(client) } }

    func run(_ client: MoonshotClient?) async throws {
        let known: ModelProfiles
        do {
            known = try profiles.map { try ModelProfiles.loading(URL(fileURLWithPath: $0)) } ?? .builtIn
        } catch {
            throw ValidationError("cannot read the profiles file '\(profiles ?? "")': \(error)")
        }
        guard let profile = known.profile(for: model) else {
            throw ValidationError("no profile for model '\(model)'; known: \(known.models.joined(separator: ", "))")
        }
        let encoder = JSONEncoder.canonical()
        if !dimensions.isEmpty {
            for size in dimensions.compactMap(Self.parse) {
                let estimate = frames.map { TokenEstimate.video(frames: $0, fps: fps!, width: size.width, height: size.height, profile: profile) }
                    ?? TokenEstimate.image(width: size.width, height: size.height, profile: profile)
                emit(EstimateLine(path: nil, estimate: estimate), encoder)
            }
            return
        }
        var total = 0, failed = 0, seen = 0
        var calibration = Calibration()
        let preparer = Preparer(probeOptions: limits.probeOptions, imageOptions: try sent.imageOptions(),
                                videoOptions: budgets.applied(to: try sent.videoOptions()), profile: profile)
        let shares = try await budgetShares(preparer)
        for await result in Prober(options: limits.probeOptions).probe(inputs: paths, jobs: ProcessInfo.processInfo.activeProcessorCount) {
            seen += 1
            do throws(MediaError) {
                guard let info = result.info else {
                    throw MediaError(result.error?.code ?? .io, path: result.path, stage: .probe, result.error?.message ?? "failed")
                }
                // What is sent: as prepare makes it, unless --as-is; the file as it is beside it.
                let asItIs = try TokenEstimate.of(info, profile: profile)
                var preparer = preparer
                preparer.videoOptions.budget = budgets.budget(share: shares[result.path])
                let estimate = asIs ? asItIs : try preparer.estimate(info)
                total += estimate.tokens
                var line = EstimateLine(path: result.path, estimate: estimate)
                if estimate.tokens != asItIs.tokens { line.asIsTokens = asItIs.tokens }
                if !asIs, let tiles = preparer.tilePlan(for: info) {
                    // Tiled, as prepare sends it; the whole image beside it.
                    line.tiles = tiles
                    total += tiles.tokens - estimate.tokens
                }
                if budgets.any, info.kind == .video {
                    // The video plan `prepare` would make (the fitted file, then the budget or the split).
                    let plan = VideoPlan.make(for: info, options: preparer.videoOptions, profile: profile)
                    line.budget = plan.budget
                    line.segments = plan.segments
                    line.budgetProblem = plan.diagnostics.first { $0.code.hasPrefix("budget") || $0.code.hasPrefix("segments") }?.message
                }
                if let client {
                    do {
                        let count = try await remoteCount(info, estimate: asItIs, client: client)
                        line.remote = count
                        calibration.add(path: result.path, kind: info.kind, count)
                        if info.kind == .video, sent.video == .model {
                            line.modelRate = try await compareModelRate(info, preparer: preparer, client: client)
                        }
                    } catch {
                        failed += 1
                        Output.printError("error  remote estimate of \(result.path): \(error)")
                    }
                }
                emit(line, encoder)
            } catch {
                failed += 1
                let summary = result.error ?? error.summary
                if json, let line = try? encoder.encode(EstimateFailure(path: result.path, error: summary)) {
                    Output.print(String(decoding: line, as: UTF8.self))
                } else if !json {
                    Output.print("error  \(summary.code.rawValue): \(summary.message)")
                }
            }
        }
        try NoMedia.check(seen, in: paths)
        if !json { Output.print("\(total) tokens in all (\(model), offline estimate)") }
        if let budgetTotal = budgets.budgetTotal, !json {
            Output.printError(total <= budgetTotal ? "within --budget-total \(budgetTotal): \(total) tokens"
                : "warning: \(total) tokens, over --budget-total \(budgetTotal) (the videos cannot go below their floors: 0.5 fps, a 280 px short side)")
        }
        if remote, !calibration.items.isEmpty {
            // The calibration report: how far the offline arithmetic is from the service's count.
            for line in calibration.summary(model: model) { Output.printError(line) }
            if let report, let data = try? JSONEncoder.canonical().encode(calibration.report(model: model)) {
                do { try data.write(to: URL(fileURLWithPath: report), options: .atomic) } catch {
                    Output.printError("error: cannot write the report \(report): \(error.localizedDescription)")
                    failed += 1
                }
            }
        }
        if failed > 0 {
            Output.printError("\(counted(failed, "input")) failed")
            throw ExitCode(1)
        }
    }

    /// With `--budget-total`: each video's share (by path), the inputs probed first as prepare does.
    private func budgetShares(_ preparer: Preparer) async throws -> [String: Int] {
        guard let total = budgets.budgetTotal else { return [:] }
        do { return try await preparer.videoBudgets(forPaths: paths, total: total) } catch { throw ValidationError(error.description) }
    }

    /// `--video model --remote`: the API's own count of the two files `prepare` can send for a video,
    /// the fitted one (`--video fit`) and the model-rate one, each prepared into a temporary folder
    /// and sent alone (inline or uploaded as the planner decides): a real key checks that the
    /// server's reader counts the 2 fps file as the offline arithmetic says.
    private func compareModelRate(_ info: MediaInfo, preparer: Preparer, client: MoonshotClient) async throws -> ModelRateRemote {
        var counts: [Int] = []
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kimi-media-estimate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for output in [VideoOutput.fit, .model] {
            var each = preparer
            each.videoOptions.output = output
            each.videoOptions.frames = .none
            let media = try await each.prepare(URL(fileURLWithPath: info.path), workFolder: folder)
            guard case .video(let file) = media.payload else { throw ValidationError("no video file for \(info.path)") }
            let part = try await RequestBuilder(planner: PayloadPlanner(model: model), client: client, cache: api.cache)
                .part(for: PayloadItem(path: file, format: media.format, bytes: media.bytes))
            counts.append(try await client.estimateTokens(model: model, messages: [ChatMessage.user([part])]))
            media.removeFiles()
        }
        return ModelRateRemote(fit: counts[0], model: counts[1])
    }

    /// Asks the API for the tokens of one user message holding the file, inline or uploaded (once,
    /// per the upload cache) as the payload planner decides.
    private func remoteCount(_ info: MediaInfo, estimate: TokenEstimate, client: MoonshotClient) async throws -> RemoteCount {
        let part = try await RequestBuilder(planner: PayloadPlanner(model: model), client: client, cache: api.cache)
            .part(for: PayloadItem(path: info.path, format: info.format, bytes: info.bytes))
        let messages = [ChatMessage.user([part])]
        let offline = RequestTokens.count(messages) { _ in estimate.tokens }
        let remote = try await client.estimateTokens(model: model, messages: messages)
        return RemoteCount(offlineRequestTokens: offline, remoteTokens: remote)
    }

    private func emit(_ line: EstimateLine, _ encoder: JSONEncoder) {
        if json {
            if let data = try? encoder.encode(line) { Output.print(String(decoding: data, as: UTF8.self)) }
            return
        }
        let e = line.estimate
        var text = "\(e.tokens) tokens  \(e.kind.rawValue)  \(e.width)x\(e.height) → \(e.resizedWidth)x\(e.resizedHeight)"
        if let v = e.video { text += "  \(counted(v.sampledFrames, "frame")) sampled, \(counted(v.chunks, "chunk")) × \(v.tokensPerChunk)" }
        if let path = line.path { text += "  \(path)" }
        if let tiles = line.tiles {
            text = "\(tiles.tokens) tokens  image  \(e.width)x\(e.height) → \(counted(tiles.tiles.count, "tile")) of \(tiles.tiles[0].width)x\(tiles.tiles[0].height) "
                + "(\(tiles.direction.rawValue))" + (line.path.map { "  \($0)" } ?? "")
                + "\n  not tiled: \(counted(e.tokens, "token")) (\(e.resizedWidth)x\(e.resizedHeight) as the model reads it)"
        }
        if let asIs = line.asIsTokens { text += "\n  as it is: \(counted(asIs, "token")) (\(line.tiles?.tokens ?? e.tokens) as prepare sends it)" }
        if let r = line.remote {
            text += "\n  remote \(r.remoteTokens) tokens for the request, offline \(r.offlineRequestTokens): difference \(r.difference)"
        }
        if let m = line.modelRate {
            text += "\n  remote, the file prepare sends: --video fit \(m.fit) tokens, --video model \(m.model)"
                + (m.fit == m.model ? " (equal)" : " (differ by \(m.model - m.fit): the server reads the 2 fps file otherwise)")
        }
        if let b = line.budget {
            text += b.moved.isEmpty ? "\n  budget \(b.budget): fits as it is (\(b.tokens) tokens)"
                : String(format: "\n  budget %d: %@ → %.3g fps, %d×%d, %.1f s ≈ %d tokens (%.0f %%)", b.budget,
                         b.moved.map(\.rawValue).joined(separator: ", "), b.fps, b.width, b.height, b.durationSeconds, b.tokens,
                         Double(b.tokens) / Double(b.budget) * 100)
        } else if let problem = line.budgetProblem, line.segments == nil {
            text += "\n  budget: \(problem)"
        }
        if let split = line.segments {
            text += String(format: "\n  segments %@: %d parts of at most %.1f s, each ≤ %d tokens", split.request.description,
                           split.parts.count, split.partSeconds, split.budget)
            for part in split.parts {
                text += String(format: "\n    part %d: %.1f–%.1f s ≈ %d tokens", part.index, part.startSeconds, part.endSeconds, part.tokens)
            }
        } else if budgets.segments != nil, let problem = line.budgetProblem {
            text += "\n  segments: \(problem)"
        }
        Output.print(text)
        for d in e.diagnostics { Output.print("  ! \(d.message)") }
    }
}

/// One `estimate --json` line. Keys: path (files only), kind, tokens (as prepare sends it; with
/// --as-is, as the file is), asIsTokens (the file as it is, when that differs), mediaTokens, width, height,
/// resizedWidth, resizedHeight; for video also sampledFrames, chunks, tokensPerChunk; diagnostics.
/// With `--remote`: offlineRequestTokens, remoteTokens, difference (remote − offline) for a request
/// of one user message holding the file.
struct EstimateLine: Encodable {
    var path: String?
    var estimate: TokenEstimate
    /// The file's cost sent as it is, when it differs from what prepare sends.
    var asIsTokens: Int?
    var remote: RemoteCount?
    /// With `--budget`: what the budget would choose, or why it cannot.
    var budget: VideoBudget?
    var budgetProblem: String?
    /// With `--segments`: the parts (nominal cuts).
    var segments: VideoSegments?
    /// With `--video model --remote`: the API's count of the fitted and the model-rate file.
    var modelRate: ModelRateRemote?
    /// With `--tiles auto`, for an image that is tiled: the tiles (`tokens` is then theirs, and
    /// `untiledTokens` the whole image's).
    var tiles: TilePlan?

    private enum Keys: String, CodingKey {
        case path, kind, tokens, asIsTokens, mediaTokens, width, height, resizedWidth, resizedHeight, sampledFrames, chunks, tokensPerChunk
        case diagnostics, offlineRequestTokens, remoteTokens, difference, budget, budgetProblem, segments, tiles, untiledTokens, modelRate
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(path, forKey: .path)
        try c.encode(estimate.kind, forKey: .kind)
        try c.encode(tiles?.tokens ?? estimate.tokens, forKey: .tokens)
        try c.encodeIfPresent(modelRate, forKey: .modelRate)
        if let tiles {
            try c.encode(tiles.tiles, forKey: .tiles)
            try c.encode(estimate.tokens, forKey: .untiledTokens)
        }
        try c.encodeIfPresent(asIsTokens, forKey: .asIsTokens)
        try c.encode(estimate.mediaTokens, forKey: .mediaTokens)
        try c.encode(estimate.width, forKey: .width)
        try c.encode(estimate.height, forKey: .height)
        try c.encode(estimate.resizedWidth, forKey: .resizedWidth)
        try c.encode(estimate.resizedHeight, forKey: .resizedHeight)
        if let v = estimate.video {
            try c.encode(v.sampledFrames, forKey: .sampledFrames)
            try c.encode(v.chunks, forKey: .chunks)
            try c.encode(v.tokensPerChunk, forKey: .tokensPerChunk)
        }
        try c.encode(estimate.diagnostics, forKey: .diagnostics)
        try c.encodeIfPresent(budget, forKey: .budget)
        try c.encodeIfPresent(budgetProblem, forKey: .budgetProblem)
        try c.encodeIfPresent(segments, forKey: .segments)
        if let remote {
            try c.encode(remote.offlineRequestTokens, forKey: .offlineRequestTokens)
            try c.encode(remote.remoteTokens, forKey: .remoteTokens)
            try c.encode(remote.difference, forKey: .difference)
        }
    }
}

struct RemoteCount {
    var offlineRequestTokens: Int
    var remoteTokens: Int
    var difference: Int { remoteTokens - offlineRequestTokens }
}

struct EstimateFailure: Encodable {
    var path: String
    var error: MediaError.Summary
}

/// Offline against remote counts over the files of one `estimate --remote` run: per item and by
/// kind (mean and largest difference), so the first user with a key can tell whether the offline
/// arithmetic matches the service.
struct Calibration {
    struct Item: Encodable {
        var path: String
        var kind: MediaKind
        var offline: Int
        var remote: Int
        var difference: Int
    }

    struct Aggregate: Encodable {
        var kind: String
        var items: Int
        var exact: Int
        var meanDifference: Double
        var maxAbsDifference: Int
        var meanRelativeDifference: Double
    }

    struct Report: Encodable {
        var model: String
        var items: [Item]
        var aggregates: [Aggregate]
    }

    private(set) var items: [Item] = []

    mutating func add(path: String, kind: MediaKind, _ count: RemoteCount) {
        items.append(Item(path: path, kind: kind, offline: count.offlineRequestTokens, remote: count.remoteTokens, difference: count.difference))
    }

    func aggregates() -> [Aggregate] {
        let groups: [(String, [Item])] = [("all", items)] + MediaKind.allCases.map { kind in (kind.rawValue, items.filter { $0.kind == kind }) }
        return groups.compactMap { name, group in
            guard !group.isEmpty else { return nil }
            let relative = group.map { Double($0.difference) / Double(max(1, $0.remote)) }
            return Aggregate(kind: name, items: group.count, exact: group.filter { $0.difference == 0 }.count,
                             meanDifference: Double(group.map(\.difference).reduce(0, +)) / Double(group.count),
                             maxAbsDifference: group.map { abs($0.difference) }.max() ?? 0,
                             meanRelativeDifference: relative.reduce(0, +) / Double(relative.count))
        }
    }

    func summary(model: String) -> [String] {
        ["calibration against \(model) (remote − offline, per request):"] + aggregates().map { a in
            String(format: "  %@: %@, %d exact, mean %+.1f tokens (%+.2f %%), largest |difference| %d",
                   a.kind, counted(a.items, "item"), a.exact, a.meanDifference, a.meanRelativeDifference * 100, a.maxAbsDifference)
        }
    }

    func report(model: String) -> Report { Report(model: model, items: items, aggregates: aggregates()) }
}

/// `estimate --remote --video model`: the API's count of a one-message request holding each file.
struct ModelRateRemote: Encodable {
    var fit: Int
    var model: Int
}

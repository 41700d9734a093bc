#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KimiAPI
import MediaCodecs
import MediaCore

/// One of `count` deterministic partitions of the inputs (by a hash of each input's path), for
/// running a batch as several processes or machines: `--shard i/n`, a Kubernetes Indexed Job
/// (`JOB_COMPLETION_INDEX` with `--shards n`) or a Slurm array (`SLURM_ARRAY_TASK_ID`,
/// `SLURM_ARRAY_TASK_COUNT`, `SLURM_ARRAY_TASK_MIN`).
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// `i/n`, with 0 ≤ i < n.
    public init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    /// The shard the environment names, or `nil` when it names none; a clear error, never a silent
    /// unsharded run, when it names one wrongly.
    /// - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` of `shards` (which the Job's completions are;
    ///   required).
    /// - Slurm array: `SLURM_ARRAY_TASK_ID` of `shards` when given (the array must then be numbered
    ///   0..N−1, as `--array=0-7`: a resubmitted task, `--array=3`, is shard 3 as before). Without
    ///   `shards` the count is inferred only from a whole array starting at 0 with step 1
    ///   (`SLURM_ARRAY_TASK_MIN` 0, `…_STEP` 1, `…_COUNT` = `…_MAX` + 1); a partial, stepped or
    ///   one-task array needs `shards`.
    public static func fromEnvironment(_ environment: [String: String], shards: Int?) throws(ShardError) -> Shard? {
        func number(_ name: String) -> Int? { environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        if let index = number("JOB_COMPLETION_INDEX") {
            guard let shards else { throw ShardError("JOB_COMPLETION_INDEX is \(index): pass --shards N, the Job's completions") }
            guard let shard = Shard(index: index, count: shards) else {
                throw ShardError("JOB_COMPLETION_INDEX \(index) is outside 0..<\(shards) (--shards \(shards))")
            }
            return shard
        }
        guard let id = number("SLURM_ARRAY_TASK_ID") else { return nil }
        if let shards {
            guard let shard = Shard(index: id, count: shards) else {
                throw ShardError("SLURM_ARRAY_TASK_ID \(id) is outside 0..<\(shards) (--shards \(shards)); number the array 0-\(shards - 1)")
            }
            return shard
        }
        let first = number("SLURM_ARRAY_TASK_MIN") ?? 0, last = number("SLURM_ARRAY_TASK_MAX") ?? id
        let step = number("SLURM_ARRAY_TASK_STEP") ?? 1, count = number("SLURM_ARRAY_TASK_COUNT") ?? (last - first + 1)
        guard first == 0, step == 1, count == last + 1, count > 1, let shard = Shard(index: id, count: count) else {
            throw ShardError("this Slurm array (tasks \(first)-\(last), step \(step), \(counted(count, "task"))) does not say how many shards "
                + "there are: pass --shards N (the whole array's size) so that task \(id) is shard \(id) of N")
        }
        return shard
    }

    /// Whether this shard takes `path` (FNV-1a of its bytes, modulo the count).
    public func contains(_ path: String) -> Bool {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int(hash % UInt64(count)) == index
    }

    public var description: String { "\(index)/\(count)" }

    /// The manifest a shard writes: `manifest.shard-I-of-N.jsonl` (`kimi-media merge` joins them).
    public var manifestName: String { "manifest.shard-\(index)-of-\(count).jsonl" }

    /// Written beside the shard's manifest when the shard has gone through all its inputs (failed
    /// ones included) and removed when it starts again: `kimi-media merge` tells a shard that was
    /// cancelled or killed halfway from one that finished.
    public var finishedMarkerName: String { "manifest.shard-\(index)-of-\(count).done" }
}

/// Why the environment's shard cannot be used (a partial or stepped array, an index out of range).
public struct ShardError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// How a batch runs beyond what each file needs.
public struct BatchOptions: Sendable {
    public var shard: Shard?
    /// Skip inputs that already have a completed line (same content, same options: ``Preparer/outputIdentity``).
    public var resume: Bool
    /// Walk hidden files and folders too.
    public var hidden: Bool
    /// Glob filters for files found in folders (``InputWalker/WalkOptions``).
    public var include: [String] = []
    public var exclude: [String] = []
    /// Checked before each input starts: once true, no new input starts, the ones in flight finish.
    public var shouldStop: @Sendable () -> Bool
    /// The request-body limit the payload decision in each line is made against.
    public var bodyLimit: Int64
    /// Asks the API for the tokens of each prepared output (``RemoteItem``), in the file's own task;
    /// `nil`: offline only. A failure becomes a `remote-estimate-failed` diagnostic.
    public var remoteTokens: (@Sendable (RemoteItem) async throws -> Int)?
    /// Told, before work starts, how many inputs this run will prepare and how many it resumes.
    public var onPlanned: @Sendable (_ toDo: Int, _ resumed: Int) -> Void = { _, _ in }
    /// `--budget-total`: the tokens all inputs together may cost (every input of every shard). The
    /// inputs are probed first; images keep their cost and the videos share the rest by weight
    /// (``VideoBudget/shares(total:fixed:videos:)``), each share then a video's budget (with
    /// ``VideoOptions/budget`` as a cap when set).
    public var budgetTotal: Int?
    /// Wall-clock seconds one input may take (probe, decode, encode); past it the file is abandoned
    /// (``OffPool/detached(timeout:grace:_:)``), its line an error with code `timeout`, and the batch
    /// goes on. `nil` or 0: no limit. Default 1,800 s — far beyond any honest file (an hour of 4K
    /// re-encoded on two cores is under that), short of a batch that never ends.
    public var fileTimeout: Double? = 1800
    /// Called with each file's path on the file's own thread, after its identity (size, time) was
    /// taken and before its work begins, inside its time budget: what a caller can learn or hold
    /// there (tests hold a file to change it meanwhile, or to stand for a decoder stuck in C code).
    public var beforeFile: (@Sendable (String) -> Void)?

    public init(shard: Shard? = nil, resume: Bool = true, hidden: Bool = false,
                bodyLimit: Int64 = APILimits.default.maxRequestBodyBytes, shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.shard = shard
        self.resume = resume
        self.hidden = hidden
        self.bodyLimit = bodyLimit
        self.shouldStop = shouldStop
    }
}

/// One prepared output to count remotely: an image's bytes, or a video file.
public struct RemoteItem: Sendable {
    public var kind: MediaKind
    public var format: MediaFormat
    public var bytes: [UInt8]?
    public var path: String?
}

/// What a batch run did.
public struct BatchResult: Sendable {
    /// Totals over this shard's lines: those written by this run and those resumed.
    public var summary: BatchSummary
    /// Lines this run wrote.
    public var written: Int
    /// Inputs skipped because a completed line already covered them (resume).
    public var resumed: Int
    /// Inputs of this shard in all.
    public var total: Int
    /// Stopped early (``BatchOptions/shouldStop``): rerun the same command to finish.
    public var interrupted: Bool
    public var manifestPath: String
    /// Image and video files among all the inputs (every shard's), whatever became of them: 0 means
    /// the paths held no media at all (a wrong folder), which a caller should say.
    public var mediaFound: Int = 0
}

/// Runs ``Preparer`` over many inputs, `jobs` files at a time: writes each prepared file atomically
/// under the output folder and one ``ManifestEntry`` per input to the manifest as soon as it is
/// done (a slow file holds nothing back: memory stays bounded whatever the order), then sorts the
/// manifest into the inputs' one order (``InputOrder``, as `merge` has it) at the end, streaming.
/// A failing input is recorded and the batch goes on; originals are only ever read.
///
/// Memory: the inputs' paths and, for resume, a small record per line already in the manifest —
/// no outcome, encoded image or manifest entry beyond those of the files in flight.
///
/// Crash safety: outputs appear complete or not at all (temporary name, then rename; a video's
/// files in a hidden folder renamed into place), and each manifest line is appended with one
/// `write` after its outputs exist. A run killed at any point leaves at most a partial last line,
/// which the next run cuts off; it then skips every input whose line is complete (same content
/// hash and options) and redoes the rest, so no completed work is lost and no line is duplicated.
public struct BatchPreparer: Sendable {
    public var preparer: Preparer
    public var jobs: Int
    /// Cores the batch may use; each file's thread budget is its share among the files running.
    public var cores: Int

    public init(preparer: Preparer, jobs: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.preparer = preparer
        self.jobs = max(1, jobs)
        self.cores = max(1, cores)
    }

    public static let manifestName = "manifest.jsonl"

    /// Prepares `paths` (files and folders) into `outputFolder`; `onEntry` sees each new manifest
    /// entry as it is written.
    public func run(_ paths: [String], into outputFolder: String, options: BatchOptions = BatchOptions(),
                    onEntry: @Sendable (ManifestEntry) -> Void = { _ in }) async throws(MediaError) -> BatchResult {
        // The output folder (manifests, shards, outputs) is never read back as input, wherever it is.
        let all = InputWalker.expand(paths, options: InputWalker.WalkOptions(hidden: options.hidden, unsupported: true,
                                                                            skipFolders: [outputFolder], include: options.include,
                                                                            exclude: options.exclude))
        // Stems over the whole list, before sharding and resuming: names never depend on either.
        let stems = OutputNames.stems(for: all.map(\.relative))
        try Self.checkOutputFolder(outputFolder, inputs: paths, files: all, stems: stems)
        let mine = all.indices.filter { options.shard?.contains(all[$0].path) ?? true }

        let manifestPath = outputFolder + "/" + (options.shard?.manifestName ?? Self.manifestName)
        do {
            try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        } catch {
            throw MediaError(.io, path: outputFolder, stage: .write, "cannot create the output folder: \(error.localizedDescription)")
        }
        Self.removeStaleTemporaries(in: outputFolder, tag: Self.tag(options.shard))
        let manifest = try ManifestFile(path: manifestPath)
        defer { manifest.close() }
        // Not finished until this run says so (a kill from here on leaves no marker).
        let marker = options.shard.map { outputFolder + "/" + $0.finishedMarkerName }
        if let marker { try? FileManager.default.removeItem(atPath: marker) }

        // A total budget: every input probed (all shards alike), the videos' shares worked out.
        let shares = try await budgetShares(all.map(\.path), total: options.budgetTotal)
        // A line made under another share is stale like one made with other options.
        // Lines made with other options are stale: the library's identity of the options (``Preparer/outputIdentity``).
        let identity = preparer.outputIdentity
        let fingerprint = { (path: String) in identity + (shares[path].map { "-share\($0)" } ?? "") }

        // Resume: inputs whose completed line matches (content and options) are skipped.
        var resumed: Set<String> = []
        var todo: [Int] = []
        for i in mine {
            if options.resume, let done = manifest.records[all[i].path], done.status != .error,
               done.options == fingerprint(all[i].path), Self.sameContent(all[i].path, as: done) {
                resumed.insert(all[i].path)
            } else {
                todo.append(i)
            }
        }
        // Lines about to be redone (failed, stale, other options) leave the manifest first.
        options.onPlanned(todo.count, resumed.count)
        let redo = Set(todo.map { all[$0].path })
        try manifest.dropLines { redo.contains($0) }
        var summary = BatchSummary([])
        if !resumed.isEmpty { try manifest.forEachEntry { if resumed.contains($0.source) { summary.add($0) } } }

        let preparer = preparer
        let encoder = JSONEncoder.canonical()
        var written = 0
        var writeError: MediaError?
        var interrupted = false
        let tag = Self.tag(options.shard)

        let cores = self.cores
        let jobs = self.jobs
        await withTaskGroup(of: (Int, Outcome, Result<Int, any Error>?).self) { group in
            var next = 0, running = 0
            func start() -> Bool {
                guard next < todo.count else { return false }
                // A manifest that cannot be written (its folder gone): no new file starts.
                if writeError != nil { return false }
                if options.shouldStop() {
                    interrupted = true
                    return false
                }
                let index = todo[next], input = all[index]
                // Threads follow the work: the cores are shared by the files that will run beside
                // this one, so a single file, a batch smaller than --jobs, or the tail of a batch
                // gets the idle cores (decoder threads, resize bands) instead of one each.
                var filePreparer = preparer
                filePreparer.threadsPerImage = Self.threads(cores: cores, jobs: jobs, running: running, waiting: todo.count - next,
                                                            atLeast: preparer.threadsPerImage ?? 1)
                if let share = shares[input.path] { filePreparer.videoOptions.budget = min(share, preparer.videoOptions.budget ?? share) }
                next += 1
                running += 1
                let remote = options.remoteTokens, timeout = options.fileTimeout, before = options.beforeFile
                group.addTask {
                    let outcome = await Self.prepare(input, filePreparer, outputFolder: outputFolder, tag: tag, timeout: timeout, hook: before)
                    return (index, outcome, await Self.remoteCount(outcome, remote))
                }
                return true
            }
            for _ in 0..<jobs { _ = start() }
            // Each outcome is written the moment it is done: its outputs, then its manifest line.
            for await (i, outcome, remote) in group {
                running -= 1
                var entry = Self.finish(outcome, input: all[i], stem: stems[i], outputFolder: outputFolder, bodyLimit: options.bodyLimit)
                entry.options = fingerprint(all[i].path)
                switch remote {
                case .success(let tokens)?: entry.remoteTokens = tokens
                case .failure(let error)?:
                    entry.diagnostics.append(Diagnostic(code: "remote-estimate-failed", stage: .estimate, message: "\(error)"))
                case nil: break
                }
                if let line = try? encoder.encode(entry) {
                    do throws(MediaError) { try manifest.append(line) } catch { writeError = writeError ?? error }
                }
                onEntry(entry)
                summary.add(entry)
                written += 1
                _ = start()
            }
        }
        if let writeError { throw writeError }
        // The inputs' one order (``InputOrder``, as `merge` sorts): one streaming pass over the finished manifest.
        var order: [String: Int] = [:]
        for (i, path) in all.map(\.path).sorted(by: InputOrder.precedes).enumerated() where order[path] == nil { order[path] = i }
        try manifest.sort(by: order)
        if let marker, !interrupted {
            let done = "{\"inputs\":\(mine.count),\"written\":\(written),\"resumed\":\(resumed.count)}\n"
            try AtomicFile.write(Array(done.utf8), to: marker)
        }
        return BatchResult(summary: summary, written: written, resumed: resumed.count, total: mine.count, interrupted: interrupted,
                           manifestPath: manifestPath, mediaFound: all.filter { if case .file = $0 { true } else { false } }.count)
    }

    /// Refuses an output folder that would mix outputs with the originals: one of the input folders
    /// itself (its outputs would be skipped as the batch's own, and "0 prepared" said), or the
    /// folder of a file named directly whose output would take the file's own name (a re-encode
    /// would replace the original).
    static func checkOutputFolder(_ outputFolder: String, inputs: [String], files: [InputWalker.Input], stems: [String]) throws(MediaError) {
        guard let out = InputWalker.resolved(outputFolder) else { return }  // not made yet: nothing of it is an input
        for path in inputs where InputWalker.resolved(path) == out {
            throw MediaError(.invalidOptions, path: outputFolder, stage: .plan,
                             "the output folder is the input folder \(path): prepared files would lie among the originals "
                                 + "(and be skipped as outputs); choose another --out, e.g. \(path.hasSuffix("/") ? String(path.dropLast()) : path)-prepared")
        }
        for (input, stem) in zip(files, stems) {
            guard case .file(let path, _) = input, let original = InputWalker.resolved(path) else { continue }
            let own = MediaFormat.allCases.map { out + "/" + stem + "." + $0.fileExtension }
            if own.contains(original) {
                throw MediaError(.invalidOptions, path: outputFolder, stage: .plan,
                                 "\(path) is inside the output folder under the name its prepared copy would take: "
                                     + "the original would be replaced; choose another --out")
            }
        }
    }

    /// Each video's budget under `total` (none without one): the inputs probed from their headers
    /// (``Preparer/videoBudgets(for:total:fixed:)``).
    func budgetShares(_ paths: [String], total: Int?) async throws(MediaError) -> [String: Int] {
        guard let total else { return [:] }
        var infos: [String: MediaInfo] = [:]
        for await result in Prober(options: preparer.probeOptions).probe(inputs: paths, jobs: cores) {
            if let info = result.info { infos[result.path] = info }
        }
        let budgets = try preparer.videoBudgets(for: paths.map { infos[$0] }, total: total)
        return Dictionary(zip(paths, budgets).compactMap { path, budget in budget.map { (path, $0) } }, uniquingKeysWith: min)
    }

    /// Threads for the file about to start: its share of `cores` among the files that will run
    /// beside it (those `running`, and as many of the `waiting` ones — itself included — as `jobs`
    /// leaves room for), never fewer than `atLeast`.
    static func threads(cores: Int, jobs: Int, running: Int, waiting: Int, atLeast: Int) -> Int {
        max(atLeast, Preparer.threads(cores: cores, beside: min(jobs, running + waiting)))
    }

    /// The remote count of a prepared output, when asked.
    static func remoteCount(_ outcome: Outcome, _ remote: (@Sendable (RemoteItem) async throws -> Int)?) async -> Result<Int, any Error>? {
        guard let remote, case .prepared(let media, _) = outcome else { return nil }
        let item: RemoteItem
        switch media.payload {
        case .image(let bytes): item = RemoteItem(kind: .image, format: media.format, bytes: bytes, path: nil)
        case .video(let path):
            guard media.workFolder != nil, path.hasPrefix(media.workFolder! + "/") else { return nil }  // no video file written
            item = RemoteItem(kind: .video, format: media.format, bytes: nil, path: path)
        }
        do { return .success(try await remote(item)) } catch { return .failure(error) }
    }

    static func tag(_ shard: Shard?) -> String { shard.map { "s\($0.index)of\($0.count)" } ?? "all" }

    /// A line covers the input when size and modification time match, or else the content hash.
    static func sameContent(_ path: String, as entry: ManifestFile.Record) -> Bool {
        guard let stamp = Stamp(path) else { return false }
        if stamp.size == entry.sourceBytes, let recorded = entry.sourceModified, abs(stamp.modified - recorded) < 1e-3 { return true }
        guard let sha = entry.sha256 else { return false }
        return (try? SHA256.hex(ofFile: path)) == sha
    }

    /// Removes what a killed run of the same shard left: its hidden video folders.
    static func removeStaleTemporaries(in folder: String, tag: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(".kimi-media-\(tag)-") {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    /// What one child task hands back: the engine's result — an image's bytes in memory until
    /// written, a video's files in a hidden folder inside the output folder until renamed.
    enum Outcome: Sendable {
        case prepared(PreparedMedia, Source)
        case failed(MediaError.Summary, MediaKind?, Source?, MediaInfo?)
        case skipped(String, MediaKind?)
    }

    /// The input's identity, read before it is prepared.
    struct Source: Sendable {
        var sha256: String
        var bytes: Int64
        var modified: Double?
    }

    /// The input's hash, with the size and time of `stamp` (taken before its preparation began; a
    /// file that changes meanwhile is caught by ``changedDuringPreparation(_:since:_:)``).
    static func source(_ path: String, stamp: Stamp) -> Source? {
        guard let sha = try? SHA256.hex(ofFile: path) else { return nil }
        return Source(sha256: sha, bytes: stamp.size, modified: stamp.modified)
    }

    /// What says a file is still the one that was opened: its inode, size and modification time
    /// (to the nanosecond). `nil` when it is gone. The one place a file's identity is read.
    struct Stamp: Equatable {
        var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int
        /// Seconds since 1970, as the manifest records them (`sourceModified`).
        var modified: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

        init?(_ path: String) {
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            (device, inode, size) = (UInt64(s.st_dev), UInt64(s.st_ino), Int64(s.st_size))
            (seconds, nanoseconds) = (Int(s.st_mtim.tv_sec), Int(s.st_mtim.tv_nsec))
        }
    }

    /// An input written, replaced or deleted while it was being prepared: what was made from it
    /// may mix two versions (and its hash a third), so none of it is kept; a rerun makes it anew.
    static func changedDuringPreparation(_ path: String, since before: Stamp?, _ outcome: Outcome) -> Outcome? {
        let after = Stamp(path)
        guard let before, after != before else { return nil }
        outcome.discard()
        let what = after == nil ? "was deleted or moved" : "changed (written or replaced)"
        return .failed(MediaError(.io, path: path, stage: .read, "\(what) while it was being prepared: nothing of it kept; "
                                      + "run again once it is complete").summary, nil, nil, nil)
    }

    /// The input's hash is computed beside its preparation (it reads the whole file: 150 MB of 4K
    /// video is ~80 ms with SHA extensions), not before it. Both run on threads of their own
    /// (``OffPool``): no decode blocks one of Swift's few cooperative threads. The preparation is
    /// the engine's (``Preparer/prepareFile(path:name:info:into:)``), a video's files going to a
    /// hidden folder of the output folder.
    static func prepare(_ input: InputWalker.Input, _ preparer: Preparer, outputFolder: String, tag: String,
                        timeout: Double? = nil, hook: (@Sendable (String) -> Void)? = nil) async -> Outcome {
        switch input {
        case .unreadable(_, let summary):
            return .failed(summary, nil, nil, nil)
        case .unsupported(let path, _):
            let ext = URL(fileURLWithPath: path).pathExtension
            return .skipped(ext.isEmpty ? "not an image or video (by content; no file extension)"
                                : "not an image or video (by content; '.\(ext)')", nil)
        case .file(let path, _):
            let before = Stamp(path)
            async let hashed = OffPool.detached(background: true) { before.flatMap { Self.source(path, stamp: $0) } }
            let destination = Preparer.Destination(root: outputFolder, prefix: ".kimi-media-\(tag)-", copiesOriginal: true)
            let raced = await OffPool.detached(timeout: timeout, grace: min(5, timeout ?? 5)) { () -> (Outcome, MediaInfo?) in
                hook?(path)
                let info: MediaInfo
                do throws(MediaError) {
                    info = try MediaProber.probe(path: path, options: preparer.probeOptions)
                } catch {
                    return (.failed(error.summary, nil, nil, nil), nil)
                }
                do throws(MediaError) {
                    return (.prepared(try preparer.prepareFile(path: path, name: path, info: info, into: destination),
                                      Source(sha256: "", bytes: 0)), info)
                } catch {
                    return (.failed(error.summary, info.kind, nil, info), info)
                }
            }
            guard let (outcome, info) = raced.value, !raced.timedOut else {
                // Abandoned: what it wrote goes with its result if it came back (its folder's owner),
                // or with the next run's clean-up of stale temporaries if it is still running.
                raced.value?.0.discard()
                let message = "took longer than \(Int(timeout ?? 0)) s (--file-timeout): abandoned, the batch went on"
                return .failed(MediaError(.timeout, path: path, stage: .decode, message).summary, raced.value?.1?.kind, await hashed,
                               raced.value?.1)
            }
            let source = await hashed
            if let changed = changedDuringPreparation(path, since: before, outcome) { return changed }
            guard let info else {
                if case .failed(let summary, _, _, _) = outcome { return .failed(summary, nil, source, nil) }
                return outcome
            }
            guard let source else {
                outcome.discard()
                return .failed(MediaError(.io, path: path, stage: .read, "cannot read the file").summary, info.kind, nil, info)
            }
            switch outcome {
            case .prepared(let media, _): return .prepared(media, source)
            case .failed(let summary, let kind, _, let info): return .failed(summary, kind, source, info)
            case .skipped: return outcome
            }
        }
    }

    /// The payload planner's decision for one output alone in a request (``PayloadPlanner``: exact
    /// body bytes against `limit`; video other than MP4 always uploaded).
    static func payload(format: MediaFormat, bytes: Int64, limit: Int64) -> ManifestEntry.Payload? {
        let item = PayloadItem(path: "", format: format, bytes: bytes)
        guard let entry = try? PayloadPlanner(limit: limit).plan(prompt: nil, items: [item]).entries.first else { return nil }
        return .init(delivery: entry.delivery, bodyBytes: entry.bodyBytes)
    }

    /// Puts the prepared files in place — an image's bytes written (atomically) as `STEM.EXT`, a
    /// video's folder renamed to `STEM/` — and makes the manifest entry from the result.
    static func finish(_ outcome: Outcome, input: InputWalker.Input, stem: String, outputFolder: String, bodyLimit: Int64) -> ManifestEntry {
        let source = input.path
        switch outcome {
        case .prepared(let media, let s):
            let name: String
            switch media.payload {
            case .image(let bytes):
                name = stem + "." + media.format.fileExtension
                do throws(MediaError) { try AtomicFile.write(bytes, to: outputFolder + "/" + name) } catch {
                    return ManifestEntry(failed: error.summary, source: source, kind: .image, identity: s.identity, info: media.info)
                }
            case .video:
                name = stem
                let final = outputFolder + "/" + stem
                try? FileManager.default.removeItem(atPath: final)  // a previous run's outputs of this input
                if let folder = media.keepFiles() {
                    do {
                        try FileManager.default.createDirectory(atPath: (final as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                        try FileManager.default.moveItem(atPath: folder, toPath: final)
                    } catch {
                        try? FileManager.default.removeItem(atPath: folder)
                        let failure = MediaError(.io, path: final, stage: .write, "cannot move the video's outputs into place: \(error.localizedDescription)")
                        return ManifestEntry(failed: failure.summary, source: source, kind: .video, identity: s.identity, info: media.info)
                    }
                }
            }
            return ManifestEntry(prepared: media, source: source, at: name, identity: s.identity,
                                 payload: { format, bytes in payload(format: format, bytes: bytes, limit: bodyLimit) })
        case .failed(let summary, let kind, let s, let info):
            return ManifestEntry(failed: summary, source: source, kind: kind, identity: s?.identity, info: info)
        case .skipped(let reason, let kind):
            return ManifestEntry(source: source, kind: kind, status: .skipped,
                                 diagnostics: [Diagnostic(code: "skipped", stage: .plan, message: reason)])
        }
    }
}

extension BatchPreparer.Outcome {
    /// Drops what the outcome holds: a video's folder goes with it (nothing else has it).
    func discard() {
        if case .prepared(let media, _) = self { media.removeFiles() }
    }
}

extension BatchPreparer.Source {
    /// The input's identity as a manifest line records it.
    var identity: ManifestEntry.Identity { ManifestEntry.Identity(sha256: sha256, bytes: bytes, modified: modified) }
}

/// The manifest on disk, never held whole: read line by line (cutting off a partial last line a
/// killed run left) into a small record per source, compacted and sorted by streaming rewrites, and
/// appended to one whole line per `write(2)` on an `O_APPEND` descriptor.
package final class ManifestFile: @unchecked Sendable {
    /// What resume needs of a line: its status, options and the input's identity.
    package struct Record {
        var status: ManifestEntry.Status
        var options: String?
        var sourceBytes: Int64?
        var sourceModified: Double?
        var sha256: String?
    }

    let path: String
    /// The last line of each source.
    package private(set) var records: [String: Record] = [:]
    private var fd: Int32 = -1

    package init(path: String) throws(MediaError) {
        self.path = path
        var complete: UInt64 = 0
        try Self.forEachLine(path) { line, end in
            complete = end
            guard let entry = try? JSONDecoder().decode(ManifestEntry.self, from: line) else { return }
            records[entry.source] = Record(status: entry.status, options: entry.options, sourceBytes: entry.sourceBytes,
                                           sourceModified: entry.sourceModified, sha256: entry.sha256)
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? nil, size != complete {
            truncate(path, off_t(complete))  // a killed run's partial line is cut off
        }
        try reopen()
    }

    private func reopen() throws(MediaError) {
        close()
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw MediaError(.io, path: path, stage: .write, "cannot open the manifest: \(String(cString: strerror(errno)))")
        }
    }

    /// Calls `body` with each complete line (without its newline) and the offset just past it,
    /// reading 1 MiB at a time.
    static func forEachLine(_ path: String, _ body: (Data, UInt64) throws(MediaError) -> Void) throws(MediaError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }  // no manifest yet
        defer { try? handle.close() }
        var pending = Data(), offset: UInt64 = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw MediaError(.io, path: path, stage: .read, "cannot read the manifest: \(error.localizedDescription)")
            }
            if chunk.isEmpty { return }
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                offset += UInt64(newline - start + 1)
                try body(pending[start..<newline], offset)
                start = newline + 1
            }
            pending = Data(pending[start...])
        }
    }

    /// Each line's entry, in file order.
    package func forEachEntry(_ body: (ManifestEntry) -> Void) throws(MediaError) {
        try Self.forEachLine(path) { line, _ in
            if let entry = try? JSONDecoder().decode(ManifestEntry.self, from: line) { body(entry) }
        }
    }

    /// Rewrites the manifest (atomically, streaming) without the lines of the sources `drop` names.
    func dropLines(_ drop: (String) -> Bool) throws(MediaError) {
        guard records.keys.contains(where: drop) else { return }
        try rewrite { lines in lines.filter { !drop($0.source) } }
        for source in records.keys where drop(source) { records[source] = nil }
    }

    /// Rewrites the manifest (atomically) with its lines in input order (`order`: source → index;
    /// lines of other sources after them, as they were), reading each line back by its offset: a
    /// small tuple per line is all that is held.
    func sort(by order: [String: Int]) throws(MediaError) {
        try rewrite { lines in
            lines.enumerated().sorted { a, b in
                let (x, y) = (order[a.element.source] ?? Int.max, order[b.element.source] ?? Int.max)
                return x != y ? x < y : a.offset < b.offset
            }.map(\.element)
        }
    }

    struct Line {
        var source: String
        var start: UInt64
        var length: Int
    }

    /// Lists the lines (source and position), lets `arrange` pick and order them, and writes them
    /// to a temporary file renamed over the manifest.
    private func rewrite(_ arrange: ([Line]) -> [Line]) throws(MediaError) {
        var lines: [Line] = []
        try Self.forEachLine(path) { line, end in
            let source = (try? JSONDecoder().decode(SourceOnly.self, from: line))?.source ?? ""
            lines.append(Line(source: source, start: end - UInt64(line.count) - 1, length: line.count + 1))
        }
        let arranged = arrange(lines)
        if arranged.map(\.start) == lines.map(\.start) { return }
        guard let input = FileHandle(forReadingAtPath: path) else { throw MediaError(.io, path: path, stage: .read, "cannot read the manifest") }
        defer { try? input.close() }
        try AtomicFile.stream(to: path) { out in
            for line in arranged {
                try input.seek(toOffset: line.start)
                try out.write(contentsOf: try input.read(upToCount: line.length) ?? Data())
            }
        }
        try reopen()
    }

    private struct SourceOnly: Decodable { var source: String }

    func append(_ line: Data) throws(MediaError) {
        // The file this run writes must still be the one at the path: an output folder deleted
        // (or the manifest replaced) mid-run would take every further line with it, unseen.
        var open = stat(), named = stat()
        guard fstat(fd, &open) == 0, stat(path, &named) == 0, open.st_ino == named.st_ino, open.st_dev == named.st_dev else {
            throw MediaError(.io, path: path, stage: .write,
                             "the manifest was removed or replaced during the run (the output folder deleted?): stopped; run the same command again")
        }
        let bytes = [UInt8](line) + [0x0A]
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; return false }
                done += n
            }
            return true
        }
        guard ok else { throw MediaError(.io, path: path, stage: .write, "cannot append to the manifest: \(String(cString: strerror(errno)))") }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    // A manifest dropped without `close()` (a run that threw between opening and closing it)
    // must not keep its descriptor: found by fuzzing, which ran out of descriptors (EMFILE).
    deinit { close() }
}

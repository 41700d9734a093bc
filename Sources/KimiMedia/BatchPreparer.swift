#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KimiAPI
import MediaCodecs
import MediaCore

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
        var shares: [String: Int] = [:]
        if let total = options.budgetTotal { shares = try await preparer.videoBudgets(forPaths: all.map(\.path), total: total, jobs: cores) }
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
            guard media.isWrittenFile(path) else { return nil }  // no video file written
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
            case .image where !media.tiles.isEmpty:
                // A tiled image: its tiles in a folder of their own, STEM/tile-001.jpg, …
                name = stem
                let final = outputFolder + "/" + stem
                try? FileManager.default.removeItem(atPath: final)  // a previous run's outputs of this input
                do throws(MediaError) {
                    do { try FileManager.default.createDirectory(atPath: final, withIntermediateDirectories: true) } catch {
                        throw MediaError(.io, path: final, stage: .write, "cannot create the tiles' folder: \(error.localizedDescription)")
                    }
                    for tile in media.tiles {
                        guard case .image(let bytes) = tile.payload else { continue }
                        try AtomicFile.write(bytes, to: final + "/" + ManifestEntry.tileName(tile))
                    }
                } catch {
                    try? FileManager.default.removeItem(atPath: final)
                    return ManifestEntry(failed: error.summary, source: source, kind: .image, identity: s.identity, info: media.info)
                }
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

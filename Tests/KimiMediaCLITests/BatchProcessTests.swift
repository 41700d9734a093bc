import Foundation
import KimiMedia
import KimiMediaCLI
import MediaCodecs
import Testing
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The built `kimi-media` executable beside the test bundle.
func executable() throws -> String {
    let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kimi-media").path,
                      Fixture.packageRoot.appendingPathComponent(".build/debug/kimi-media").path]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates[0]])
    }
    return found
}

/// A folder of `count` copies of a 1600×1200 JPEG (made by our encoder), slow enough to kill mid-run.
func bigJPEGFolder(_ count: Int) throws -> TemporaryFolder {
    let folder = try TemporaryFolder()
    let plane = Reference.plane(width: 1600, height: 1200, channels: 3) { x, y, c in UInt8(truncatingIfNeeded: (x * 7 + y * 13 + c * 50) ^ (x * y)) }
    let image = PixelImage(layout: .rgb, planes: [plane])
    let info = MediaInfo(path: "x.jpg", kind: .image, format: .jpeg, storedWidth: 1600, storedHeight: 1200, orientation: 1,
                         swapsDimensions: false, bytes: 1, accepted: true)
    let plan = ImagePlan.make(for: info, options: try ImageOptions(format: .jpeg))
    let bytes = try ImagePipeline.encode(image, plan: plan, path: "x.jpg")
    for i in 0..<count { try folder.write(String(format: "in/photo-%03d.jpg", i), bytes) }
    return folder
}

/// Lines of a manifest: complete ones decoded, and whether a partial last line was left.
func manifestLines(_ path: String) throws -> (entries: [ManifestEntry], partialTail: Bool) {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let complete = data.lastIndex(of: 0x0A).map { data.prefix(through: $0) } ?? Data()
    let entries = try complete.split(separator: 0x0A).map { try JSONDecoder().decode(ManifestEntry.self, from: Data($0)) }
    return (entries, complete.count != data.count)
}

/// Starts the built `kimi-media ARGS` as a process; its standard error is read from the pipe.
/// `environment` is added to this process's own (never set here with `setenv`: tests run at once).
func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try executable())
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    return (process, errors)
}

/// Runs the built `kimi-media ARGS` to the end.
func runProcess(_ arguments: [String]) throws -> (status: Int32, err: String) {
    let (process, errors) = try start(arguments)
    let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, err)
}

/// Starts `kimi-media ARGS`, waits until the manifest has `lines` lines, then sends `signal`.
func runAndSignal(_ arguments: [String], manifest: String, lines: Int, signal: Int32) throws -> (status: Int32, err: String) {
    let (process, errors) = try start(arguments)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        let count = (try? Data(contentsOf: URL(fileURLWithPath: manifest)))?.filter { $0 == 0x0A }.count ?? 0
        if count >= lines || !process.isRunning { break }
        usleep(5_000)
    }
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (process.terminationStatus, err)
}

@Suite("Batch: resume, kill, shards, report", .serialized)
struct BatchProcessTests {
    /// Every line's outputs exist, no source has two lines, and nothing unfinished is visible.
    func checkConsistent(_ out: String, expectAll count: Int? = nil) throws {
        let (entries, _) = try manifestLines(out + "/manifest.jsonl")
        #expect(Set(entries.map(\.source)).count == entries.count, "a source has two lines")
        for entry in entries where entry.status == .ok {
            for output in entry.outputs { #expect(FileManager.default.fileExists(atPath: out + "/" + output.path), "\(output.path)") }
        }
        if let count { #expect(entries.count == count && entries.allSatisfy { $0.status == .ok }) }
        let visible = try FileManager.default.subpathsOfDirectory(atPath: out).filter {
            !$0.split(separator: "/").contains { $0.hasPrefix(".") } && $0.hasSuffix(".jpg")
        }
        let listed = Set(entries.flatMap { $0.outputs.map(\.path) })
        for file in visible where !listed.contains(file) {
            // A file written just before the kill and not yet in the manifest is complete (renamed into place whole).
            let info = try MediaProber.probe(path: out + "/" + file)
            #expect(info.width > 0)
        }
    }

    @Test func sigkillLosesNothingAndResumes() throws {
        let folder = try bigJPEGFolder(30)
        let out = folder.path + "/out"
        let args = ["prepare", "--jobs", "1", "--max-side", "683", "--out", out, folder.path + "/in"]
        let (status, _) = try runAndSignal(args, manifest: out + "/manifest.jsonl", lines: 3, signal: SIGKILL)
        #expect(status == SIGKILL)  // killed, not finished
        let before = try manifestLines(out + "/manifest.jsonl").entries
        #expect(before.count >= 3 && before.count < 30)
        try checkConsistent(out)
        let modified = try FileManager.default.attributesOfItem(atPath: out + "/" + before[0].outputs[0].path)[.modificationDate] as? Date
        // The rerun finishes the rest, redoing none of the completed ones.
        let (rerunStatus, err) = try runProcess(args)
        #expect(rerunStatus == 0, "\(err)")
        #expect(err.contains("\(before.count) of these were already done (resumed)"))
        try checkConsistent(out, expectAll: 30)
        #expect(try FileManager.default.attributesOfItem(atPath: out + "/" + before[0].outputs[0].path)[.modificationDate] as? Date == modified)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix(".") }.isEmpty)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func interruptFinishesInFlightAndSaysHowToResume(_ signal: Int32) async throws {
        let folder = try bigJPEGFolder(30)
        let out = folder.path + "/out"
        let args = ["prepare", "--jobs", "2", "--max-side", "683", "--out", out, folder.path + "/in"]
        let (status, err) = try runAndSignal(args, manifest: out + "/manifest.jsonl", lines: 3, signal: signal)
        #expect(status == 130, "\(err)")
        #expect(err.contains("run the same command again to resume"))
        let (entries, partial) = try manifestLines(out + "/manifest.jsonl")
        #expect(!partial && entries.count < 30)
        try checkConsistent(out)
        #expect(await run(args).status == 0)
        try checkConsistent(out, expectAll: 30)
    }

    /// Three shards into one folder, merged, equal a single run line for line, in the same order:
    /// same sources, outputs and tokens. Folders `a/` and `a-b/` order differently as strings and as
    /// paths (the merge listed `a-b/…` first).
    @Test func threeShardsEqualOneRun() async throws {
        let folders = try TemporaryFolder()
        _ = try folders.copy(Fixture.image("jpeg-cmyk.jpg"), as: "in/a/jpeg-cmyk.jpg")
        _ = try folders.copy(Fixture.image("png-gray.png"), as: "in/a-b/png-gray.png")
        let inputs = [Fixture.root.appendingPathComponent("images").path, Fixture.video("h264.mp4"), Fixture.video("vp9.webm"),
                      folders.path + "/in"]
        let single = try TemporaryFolder(), sharded = try TemporaryFolder()
        #expect(await run(["prepare", "--quiet", "--out", single.path] + inputs).status == 0)
        var counts: [Int] = []
        for i in 0..<3 {
            #expect(await run(["prepare", "--quiet", "--shard", "\(i)/3", "--out", sharded.path] + inputs).status == 0)
            counts.append(try manifestLines(sharded.path + "/manifest.shard-\(i)-of-3.jsonl").entries.count)
        }
        #expect(counts.allSatisfy { $0 > 0 } && counts.reduce(0, +) == 28)
        #expect(await run(["merge", sharded.path]).status == 0)
        func key(_ e: ManifestEntry) -> String { "\(e.source) \(e.outputs.map(\.path)) \(e.tokens ?? -1) \(e.sha256 ?? "")" }
        let one = try manifestLines(single.path + "/manifest.jsonl").entries.map(key)
        let merged = try manifestLines(sharded.path + "/manifest.jsonl").entries.map(key)
        #expect(one == merged && one.count == 28)
        let order = try manifestLines(single.path + "/manifest.jsonl").entries.map(\.source).filter { $0.hasPrefix(folders.path) }
        #expect(order == [folders.path + "/in/a/jpeg-cmyk.jpg", folders.path + "/in/a-b/png-gray.png"])
        for entry in try manifestLines(sharded.path + "/manifest.jsonl").entries {
            for output in entry.outputs { #expect(FileManager.default.fileExists(atPath: sharded.path + "/" + output.path)) }
        }
        // A shard that never ran makes the merge fail, naming it (a scheduler's dependent job sees it).
        try FileManager.default.removeItem(atPath: sharded.path + "/manifest.shard-1-of-3.jsonl")
        let incomplete = await run(["merge", sharded.path])
        #expect(incomplete.status == 1 && incomplete.err.contains("no manifest for shard 1 of 3"), "\(incomplete.err)")
        // A shard cancelled halfway has a manifest but no finished marker: also incomplete, named.
        #expect(FileManager.default.fileExists(atPath: sharded.path + "/manifest.shard-2-of-3.done"))
        try FileManager.default.removeItem(atPath: sharded.path + "/manifest.shard-2-of-3.done")
        let unfinished = await run(["merge", sharded.path])
        #expect(unfinished.status == 1 && unfinished.err.contains("shard 2 of 3 did not finish"), "\(unfinished.err)")
        // Rerunning it resumes (nothing redone) and marks it finished again.
        #expect(await run(["prepare", "--quiet", "--shard", "2/3", "--out", sharded.path] + inputs).status == 0)
        #expect(FileManager.default.fileExists(atPath: sharded.path + "/manifest.shard-2-of-3.done"))
    }

    /// Hidden files are left out unless --hidden; files that are not media are listed as skipped.
    @Test func hiddenAndUnsupportedFiles() async throws {
        let folder = try TemporaryFolder()
        try folder.copy(Fixture.image("png-rgb.png"), as: "in/visible.png")
        try folder.copy(Fixture.image("png-rgb.png"), as: "in/.hidden.png")
        try folder.copy(Fixture.image("png-rgb.png"), as: "in/.cache/inner.png")
        try folder.write("in/notes.txt", Array("hello".utf8))
        let plain = await run(["prepare", "--json", "--quiet", "--out", folder.path + "/a", folder.path + "/in"])
        let lines = inOrder(try jsonLines(plain.out), ["notes.txt", "visible.png"])
        #expect(try jsonLines(plain.out).count == 2)
        #expect(lines.compactMap { ($0["source"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } } == ["notes.txt", "visible.png"])
        #expect(lines.first?["status"] as? String == "skipped")
        #expect(((lines.first?["diagnostics"] as? [[String: Any]])?.first?["message"] as? String)?.contains("'.txt'") == true)
        let hidden = await run(["prepare", "--json", "--quiet", "--hidden", "--out", folder.path + "/b", folder.path + "/in"])
        #expect(try jsonLines(hidden.out).filter { $0["status"] as? String == "ok" }.count == 3)
    }

    /// The environment's shard is right or a clear error, never a silent unsharded run.
    @Test func shardsFromTheEnvironment() throws {
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "2"], shards: 4) == Shard(index: 2, count: 4))
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "4"], shards: 4) }  // out of range
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "1"], shards: nil) }  // count unknown
        // A whole array 0-2: inferred.
        let whole = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "2", "SLURM_ARRAY_TASK_COUNT": "3",
                     "SLURM_ARRAY_TASK_STEP": "1"]
        #expect(try Shard.fromEnvironment(whole, shards: nil) == Shard(index: 1, count: 3))
        // One task resubmitted (--array=1), a stepped array (0-6:3), an array not from 0: need --shards.
        let resubmitted = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "1", "SLURM_ARRAY_TASK_COUNT": "1"]
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(resubmitted, shards: nil) }
        #expect(try Shard.fromEnvironment(resubmitted, shards: 3) == Shard(index: 1, count: 3))
        let stepped = ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_COUNT": "3",
                       "SLURM_ARRAY_TASK_STEP": "3"]
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(stepped, shards: nil) }
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "3",
                                                                       "SLURM_ARRAY_TASK_MIN": "4"], shards: nil) }
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "3"], shards: 3) }  // out of range
        #expect(try Shard.fromEnvironment([:], shards: 3) == nil)
        #expect(Shard(argument: "1/3") == Shard(index: 1, count: 3) && Shard(argument: "3/3") == nil && Shard(argument: "x") == nil)
        // Every path lands in exactly one shard.
        let paths = (0..<300).map { "dir/file-\($0).jpg" }
        let shards = (0..<3).map { Shard(index: $0, count: 3)! }
        #expect(paths.allSatisfy { p in shards.filter { $0.contains(p) }.count == 1 })
    }

    /// The report is one well-formed page: the summary, a thumbnail per image and a strip per video
    /// (embedded, no external file), and the errors.
    @Test func reportParses() async throws {
        let out = try TemporaryFolder()
        let report = out.path + "/report.html"
        let album = try TemporaryFolder()  // a folder as users have them: a note beside the photo
        _ = try album.write("a-notes.txt", Array("not media".utf8))
        _ = try album.copy(Fixture.image("jpeg-baseline.jpg"), as: "jpeg-baseline.jpg")
        let inputs = [album.path, Fixture.image("png-rgba.png"), Fixture.video("h264.mp4"), Fixture.invalid("empty.jpg")]
        let result = await run(["prepare", "--quiet", "--report", report, "--price-per-mtok", "2", "--out", out.path] + inputs)
        #expect(result.status == 1)  // empty.jpg fails
        #expect(result.err.contains("corruptInput ×1"))
        final class Collector: NSObject, XMLParserDelegate {
            var images: [String] = []
            var ids: [String] = []
            var links: [String] = []
            var text = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if name == "img", let src = attributes["src"] { images.append(src) }
                if name == "a", let href = attributes["href"] { links.append(href) }
                if let id = attributes["id"] { ids.append(id) }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
        }
        let collector = Collector()
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: report)))
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        // The errors come right after the summary (they were below every card); the non-media file
        // is listed apart at the end, not as the first card.
        #expect(collector.ids == ["summary", "errors", "inputs", "skipped"])
        #expect(collector.text.range(of: "a-notes.txt")!.lowerBound > collector.text.range(of: "jpeg-baseline.jpg")!.lowerBound)
        #expect(collector.images.count == 2 + 2)  // two images, two frames
        #expect(collector.images.allSatisfy { $0.hasPrefix("data:image/jpeg;base64,") })
        #expect(collector.text.contains("empty.jpg") && collector.text.contains("per million tokens"))
        // Every output is named and linked, relative to the report; the links resolve.
        let manifest = try manifestLines(out.path + "/manifest.jsonl").entries
        let files = manifest.flatMap(\.outputs).filter { $0.timestampSeconds == nil }.map(\.path)
        #expect(files.count == 3 && files.allSatisfy { collector.links.contains($0) }, "\(collector.links)")
        #expect(collector.links.allSatisfy { FileManager.default.fileExists(atPath: out.path + "/" + ($0.removingPercentEncoding ?? $0)) })
        // A report written elsewhere links back into the output folder.
        let entries = manifest
        try ReportWriter(outputFolder: out.path).write(entries: entries, summary: BatchSummary(entries), to: out.path + "/sub/r.html")
        let moved = try String(contentsOfFile: out.path + "/sub/r.html", encoding: .utf8)
        #expect(moved.contains("href=\"../jpeg-baseline.jpg\""), "\(moved)")
        // A file's notes are shown, and names break between folders, not inside words.
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(!html.contains("break-all") && html.contains("/<wbr/>"))
        var notes = entries
        let first = try #require(notes.firstIndex { $0.status == .ok })
        notes[first].diagnostics = [Diagnostic(code: "budget-unreachable", stage: .plan, message: "1000 tokens cannot be reached")]
        try ReportWriter(outputFolder: out.path).write(entries: notes, summary: BatchSummary(notes), to: out.path + "/notes.html")
        #expect(try String(contentsOfFile: out.path + "/notes.html", encoding: .utf8)
                    .contains("<ul class=\"notes\"><li>1000 tokens cannot be reached</li></ul>"))
    }

    /// 1,000 inputs of mixed kinds in one run: every one gets a line, and memory stays bounded.
    @Test func aThousandMixedFiles() throws {
        let folder = try TemporaryFolder()
        let sources = Fixture.names(in: "images").map(Fixture.image)
            + ["h264.mp4", "vp9.webm", "mpeg4.avi", "with-audio.mp4", "wmv2.wmv"].map(Fixture.video)
            + [Fixture.invalid("empty.jpg"), Fixture.invalid("truncated.avi")]
        for i in 0..<1000 {
            let source = sources[i % sources.count]
            try folder.copy(source, as: String(format: "in/%02d/%04d-", i / 100, i) + URL(fileURLWithPath: source).lastPathComponent)
        }
        let (status, _) = try runProcess(["prepare", "--quiet", "--max-side", "256", "--out", folder.path + "/out", folder.path + "/in"])
        #expect(status == 1)  // the invalid copies fail, by design
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        if !underSanitizer { #expect(usage.ru_maxrss < 400 * 1024, "peak \(usage.ru_maxrss) KiB") }  // ASan: its shadow memory
        let entries = try manifestLines(folder.path + "/out/manifest.jsonl").entries
        #expect(entries.count == 1000)
        let invalid = (0..<1000).filter { sources[$0 % sources.count].contains("/invalid/") }.count
        #expect(entries.filter { $0.status == .ok }.count == 1000 - invalid)
        #expect(entries.filter { $0.status == .error }.count == invalid)
    }
}

/// A decoder that never returns costs one input, not the batch (`--file-timeout`).
@Suite("prepare: a stuck file")
struct FileTimeoutTests {
    @Test func aStalledFileIsAbandonedAndTheBatchGoesOn() async throws {
        let folder = try TemporaryFolder()
        try folder.copy(Fixture.image("png-rgb.png"), as: "in/a.png")
        try folder.copy(Fixture.image("jpeg-baseline.jpg"), as: "in/stalled-7f3a.jpg")
        try folder.copy(Fixture.video("h264.mp4"), as: "in/c.mp4")
        // The hook holds that file's work for up to 90 s, ignoring cancellation (as a stuck C
        // decoder would); abandoned after 1 s + 1 s of grace, the batch ends long before (on a
        // loaded CI machine it took 14 s once: the bound leaves room for that and still proves it).
        let released = Hold()
        defer { released.release() }
        var options = BatchOptions()
        options.fileTimeout = 1
        options.beforeFile = { path in if path.hasSuffix("/stalled-7f3a.jpg") { released.wait(upTo: 90) } }
        let start = Date()
        let result = try await BatchPreparer(preparer: Preparer(), jobs: 2).run([folder.path + "/in"], into: folder.path + "/out", options: options)
        let elapsed = Date().timeIntervalSince(start)
        #expect(result.summary.failed == 1 && elapsed < 60, "\(elapsed) s")
        let entries = try manifestLines(folder.path + "/out/manifest.jsonl").entries
        #expect(entries.count == 3)
        let stalled = try #require(entries.first { $0.source.hasSuffix("stalled-7f3a.jpg") })
        #expect(stalled.status == .error && stalled.error?.code == .timeout, "\(stalled)")
        #expect(stalled.error?.message.contains("--file-timeout") == true)
        #expect(entries.filter { !$0.source.hasSuffix("stalled-7f3a.jpg") }.allSatisfy { $0.status == .ok })
        // A rerun (the file no longer stalls) redoes only that one.
        let again = await run(["prepare", "--quiet", "--out", folder.path + "/out", folder.path + "/in"])
        #expect(again.status == 0 && again.err.contains("2 of these were already done"), "\(again.err)")
        #expect(await run(["prepare", "--file-timeout", "-1", "--out", folder.path + "/x", folder.path + "/in"]).status != 0)
    }
}

/// A test's hold on a file's work (``BatchOptions/beforeFile``): the work waits until released,
/// or until its time is up, ignoring cancellation as a stuck C call would; `started` says it began.
final class Hold: @unchecked Sendable {
    private let lock = NSCondition()
    private var isReleased = false
    private var hasStarted = false

    func wait(upTo seconds: Double) {
        lock.lock()
        hasStarted = true
        lock.broadcast()
        let end = Date().addingTimeInterval(seconds)
        while !isReleased, lock.wait(until: end) {}
        lock.unlock()
    }

    func release() { lock.withLock { isReleased = true; lock.broadcast() } }

    /// Waits until the held work has begun (at most `seconds`), without blocking a thread of
    /// Swift's few cooperative ones; whether it did.
    func started(within seconds: Double) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while !lock.withLock({ hasStarted }), Date() < end { try? await Task.sleep(nanoseconds: 10_000_000) }
        return lock.withLock { hasStarted }
    }
}

/// Output that cannot be written (here a file-size limit, `ulimit -f`, as a full disk would do):
/// those files fail with an `io` error, nothing partial is visible, the batch goes on, and a rerun
/// once the limit is gone makes them and keeps the rest.
@Suite("prepare: output that cannot be written")
struct WriteFaultTests {
    @Test(.disabled(if: underThreadSanitizer, "ThreadSanitizer's runtime dies under a 24 KiB file-size limit (SIGBUS at start)"))
    func aFileSizeLimitFailsThoseFilesAndARerunMakesThem() throws {
        let folder = try TemporaryFolder()
        try folder.copy(Fixture.image("png-rgb.png"), as: "in/small.png")          // 9 KB, sent as it is
        try folder.copy(Fixture.video("h264.mp4"), as: "in/copied.mp4")           // 34 KB, copied
        try folder.copy(Fixture.video("vp9.webm"), as: "in/encoded.webm")         // re-encoded, ~34 KB
        let out = folder.path + "/out"
        let limited = Process()
        limited.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 24 KiB a file: the frames and the small image fit, the two videos do not. SIGXFSZ is
        // ignored by kimi-media, so the write fails (EFBIG) instead of the process dying.
        limited.arguments = ["-c", "ulimit -f 24; exec \"$0\" \"$@\"", try executable(), "prepare", "--quiet", "--out", out, folder.path + "/in"]
        let errors = Pipe()
        limited.standardError = errors
        try limited.run()
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        limited.waitUntilExit()
        #expect(limited.terminationReason == .exit && limited.terminationStatus == 1, "\(limited.terminationStatus): \(err)")
        let first = try manifestLines(out + "/manifest.jsonl").entries
        #expect(first.count == 3)
        let failed = first.filter { $0.status == .error }
        #expect(Set(failed.map { URL(fileURLWithPath: $0.source).lastPathComponent }) == ["copied.mp4", "encoded.webm"], "\(err)")
        #expect(failed.allSatisfy { $0.error?.code == .io && $0.error?.message.contains("write") == true }, "\(failed.map { $0.error?.message ?? "" })")
        // Nothing partial: no folder for the failed videos, no hidden temporaries.
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(!names.contains("copied") && !names.contains("encoded") && !names.contains { $0.hasPrefix(".kimi-media") }, "\(names)")
        // The limit gone: the two are made, the image is not redone.
        let rerun = try runProcess(["prepare", "--quiet", "--out", out, folder.path + "/in"])
        #expect(rerun.status == 0 && rerun.err.contains("1 of these were already done"), "\(rerun.err)")
        let second = try manifestLines(out + "/manifest.jsonl").entries
        #expect(second.count == 3 && second.allSatisfy { $0.status == .ok })
        for entry in second { for output in entry.outputs { #expect(FileManager.default.fileExists(atPath: out + "/" + output.path)) } }
    }
}

extension WriteFaultTests {
    /// The output folder deleted mid-run: the run stops with a clear error instead of writing on
    /// into a manifest nobody can see; a rerun starts over and finishes.
    @Test func theOutputFolderRemovedMidRun() throws {
        let folder = try TemporaryFolder()
        for i in 0..<6 { try folder.copy(Fixture.video("vp9.webm"), as: "in/v\(i).webm") }
        let out = folder.path + "/out"
        let (process, errors) = try start(["prepare", "--jobs", "1", "--out", out, folder.path + "/in"])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning, ((try? Data(contentsOf: URL(fileURLWithPath: out + "/manifest.jsonl")))?.count ?? 0) == 0 {
            usleep(2_000)
        }
        // The run keeps writing into it: removal can race a new file (ENOTEMPTY, EPERM); try again.
        for _ in 0..<100 where FileManager.default.fileExists(atPath: out) {
            if (try? FileManager.default.removeItem(atPath: out)) == nil { usleep(5_000) }
        }
        process.waitUntilExit()
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1 && err.contains("the manifest was removed or replaced during the run"), "\(err)")
        let rerun = try runProcess(["prepare", "--quiet", "--out", out, folder.path + "/in"])
        #expect(rerun.status == 0, "\(rerun.err)")
        #expect(try manifestLines(out + "/manifest.jsonl").entries.filter { $0.status == .ok }.count == 6)
    }
}

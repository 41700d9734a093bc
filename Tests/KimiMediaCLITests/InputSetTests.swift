import Foundation
import KimiMedia
import Testing
import TestSupport

/// Inputs that cannot loop or repeat, and lists of any length: the output folder is never read
/// back, a file reached twice is one input, `--files-from` and `--include`/`--exclude`.
@Suite("prepare: the set of inputs")
struct InputSetTests {
    func manifest(_ folder: String) throws -> [[String: Any]] {
        try jsonLines(String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8))
    }

    /// `prepare photos --out photos/prepared`, twice: the second run finds the same inputs (its own
    /// outputs are not inputs) and resumes them all.
    @Test func outputFolderInsideTheInputIsNotInput() async throws {
        let photos = try TemporaryFolder()
        _ = try photos.copy(Fixture.image("jpeg-baseline.jpg"), as: "a.jpg")
        _ = try photos.copy(Fixture.image("png-rgb.png"), as: "b.png")
        let out = photos.path + "/prepared"
        for _ in 0..<2 {
            let result = await run(["prepare", "--quiet", "--out", out, photos.path])
            #expect(result.status == 0, "\(result.err)")
        }
        #expect(try manifest(out).count == 2)
        let again = await run(["prepare", "--quiet", "--json", "--out", out, photos.path])
        #expect(again.err.contains("2 of these were already done"), "\(again.err)")
    }

    /// The same file named three ways, and a hard link to it: one input, one line.
    @Test func aFileReachedTwiceIsOneInput() async throws {
        let folder = try TemporaryFolder()
        let a = try folder.copy(Fixture.image("jpeg-baseline.jpg"), as: "in/a.jpg")
        try FileManager.default.linkItem(atPath: a, toPath: folder.path + "/in/hard-link.jpg")
        let out = folder.path + "/out"
        let result = await run(["prepare", "--quiet", "--out", out, a, a, folder.path + "/in/./a.jpg", folder.path + "/in"])
        #expect(result.status == 0, "\(result.err)")
        #expect(try manifest(out).count == 1)
    }

    /// A list on standard input or in a file, newline- or NUL-separated; globs for folder walks.
    @Test func filesFromAndGlobs() async throws {
        let folder = try TemporaryFolder()
        let a = try folder.copy(Fixture.image("jpeg-baseline.jpg"), as: "in/a.jpg")
        let b = try folder.copy(Fixture.image("png-rgb.png"), as: "in/sub/b.png")
        _ = try folder.copy(Fixture.image("webp-lossy.webp"), as: "in/sub/c.webp")
        let list = try folder.write("list.txt", Array((a + "\0" + b + "\0").utf8))
        #expect(InputWalker.paths(fromList: Data("x.jpg\r\n\ny.png\n".utf8)) == ["x.jpg", "y.png"])
        let fromList = await run(["prepare", "--quiet", "--files-from", list, "--out", folder.path + "/o1"])
        #expect(fromList.status == 0, "\(fromList.err)")
        #expect(try manifest(folder.path + "/o1").compactMap { $0["source"] as? String }.sorted() == [a, b].sorted())
        let globbed = await run(["prepare", "--quiet", "--include", "*.png", "--include", "sub/*.webp", "--exclude", "c.*",
                                 "--out", folder.path + "/o2", folder.path + "/in"])
        #expect(globbed.status == 0, "\(globbed.err)")
        #expect(try manifest(folder.path + "/o2").compactMap { $0["source"] as? String } == [b])
        #expect(await run(["prepare", "--out", folder.path + "/o3"]).status != 0)  // nothing to do is a usage error
    }
}

/// Same input and options, same bytes, whatever `--jobs` (the thread count each file gets).
@Suite("prepare: reproducible outputs")
struct ReproducibleOutputTests {
    @Test func reEncodedVideosAreByteIdentical() async throws {
        let folder = try TemporaryFolder()
        // 160×90 MPEG-2 and VP9: at that height libx264's assembly over-reads its own buffers, which
        // made 1 encode in 60 differ under --jobs 6 before those heights went to its C code.
        // 176×144 H.263: libx264's frame threads gave 3 sizes in 30 runs of it (the ffmpeg CLI too),
        // and its assembly on one thread 3 sizes in 11 runs of the whole suite (now its C code).
        let sources = ["mpeg2.mpeg", "vp9.webm", "h263.3gp"]
        for source in sources {
            let ext = URL(fileURLWithPath: source).pathExtension
            for i in 0..<6 { _ = try folder.copy(Fixture.video(source), as: "in/\(ext)-\(i).\(ext)") }
        }
        var digests: [String: Set<Data>] = [:]
        for jobs in ["1", "6"] {
            let out = folder.path + "/out-\(jobs)"
            let result = await run(["prepare", "--quiet", "--jobs", jobs, "--frames", "none", "--out", out, folder.path + "/in"])
            #expect(result.status == 0, "\(result.err)")
            for source in sources {
                let ext = URL(fileURLWithPath: source).pathExtension
                for i in 0..<6 { digests[ext, default: []].insert(try Data(contentsOf: URL(fileURLWithPath: out + "/\(ext)-\(i)/video.mp4"))) }
            }
        }
        #expect(digests.count == 3 && digests.values.allSatisfy { $0.count == 1 }, "\(digests.mapValues { $0.map(\.count) })")
    }

    /// A 320×178 clip re-encoded after 160×90 ones in the same process (as in a batch) comes out in
    /// the bytes it has alone in a fresh process: libx264's AVX-512 code read what lay past its
    /// buffers, so it followed what earlier work had left on the heap (13 runs in 20 differed after
    /// one 160×90 clip, and one CI scale test). Passes trivially on a CPU without AVX-512.
    @Test func reEncodeBytesDoNotFollowEarlierWork() async throws {
        let folder = try TemporaryFolder()
        _ = try folder.copy(Fixture.root.appendingPathComponent("quirks/odd-size.webm").path, as: "alone/odd-size.webm")
        let alone = try runProcess(["prepare", "--quiet", "--frames", "none", "--out", folder.path + "/alone-out", folder.path + "/alone"])
        #expect(alone.status == 0, "\(alone.err)")
        let reference = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/alone-out/odd-size/video.mp4"))
        _ = try folder.copy(Fixture.video("flv1.flv"), as: "batch/a.flv")
        _ = try folder.copy(Fixture.root.appendingPathComponent("quirks/odd-size.webm").path, as: "batch/z.webm")
        for run in 0..<5 {
            let out = folder.path + "/batch-\(run)"
            let result = try runProcess(["prepare", "--quiet", "--jobs", "1", "--frames", "none", "--out", out, folder.path + "/batch"])
            #expect(result.status == 0, "\(result.err)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/z/video.mp4")) == reference, "run \(run)")
        }
    }
}

/// `--dedupe`: a slideshow shrinks to its distinct pictures; clips in motion lose nothing.
@Suite("prepare: near-duplicate frames")
struct DedupeTests {
    @Test func slideshowKeepsItsThreePictures() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--quiet", "--frames", "model", "--video", "none", "--dedupe", "--out", out.path,
                                Fixture.video("slideshow.mp4")])
        #expect(result.status == 0, "\(result.err)")
        let line = try #require(try jsonLines(result.out).first)
        let frames = (line["outputs"] as? [[String: Any]] ?? []).compactMap { $0["timestampSeconds"] as? Double }
        #expect(frames.count == 3 && frames[0] < 1 && (19...21).contains(frames[1]) && (39...41).contains(frames[2]), "\(frames)")
        let note = (line["diagnostics"] as? [[String: Any]])?.first { $0["code"] as? String == "frames-deduplicated" }
        #expect((note?["message"] as? String)?.hasPrefix("117 near-duplicate") == true)
    }

    @Test func motionLosesNoFrame() async throws {
        let clips = ["h264.mp4", "h264-bframes.mp4", "vfr.mp4", "vp9.webm"].map(Fixture.video)
        var counts: [[Int]] = []
        for dedupe in [false, true] {
            let out = try TemporaryFolder()
            let result = await run(["prepare", "--json", "--quiet", "--frames", "model", "--video", "none", "--out", out.path]
                                   + (dedupe ? ["--dedupe"] : []) + clips)
            #expect(result.status == 0, "\(result.err)")
            counts.append(try jsonLines(result.out).sorted { ($0["source"] as? String ?? "") < ($1["source"] as? String ?? "") }
                .map { ($0["outputs"] as? [Any])?.count ?? 0 })
        }
        #expect(counts[0] == counts[1] && counts[0].allSatisfy { $0 > 0 }, "\(counts)")
    }
}

/// `request --budget`: the video in the request is made to fit, as `prepare --budget` would.
@Suite("request: a token budget")
struct RequestBudgetTests {
    @Test func theVideoFits() async throws {
        let folder = try TemporaryFolder()
        let result = await run(["request", "--prompt", "What happens?", "--json", "--budget", "3000", "--out", folder.path + "/r.json",
                                Fixture.video("one-hour-16x16.mp4")])
        #expect(result.status == 0, "\(result.err)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let item = try #require((summary["items"] as? [[String: Any]])?.first)
        let tokens = try #require(item["tokens"] as? Int)
        #expect(tokens <= 3000 && tokens >= 2550 && item["format"] as? String == "mp4", "\(item)")
        #expect(await run(["request", "--prompt", "x", "--raw", "--budget", "10", Fixture.video("h264.mp4")]).status != 0)
    }
}

/// `--segments`: a long video comes out as consecutive parts, each within the budget, covering it
/// whole; cut on keyframes when the packets are copied, exactly when re-encoded.
@Suite("prepare: segments")
struct SegmentTests {
    /// The parts of one manifest line: (segment, tokens, path) in order.
    func parts(_ line: [String: Any]) -> [(segment: [String: Any], tokens: Int, path: String)] {
        ((line["outputs"] as? [[String: Any]]) ?? []).compactMap { o in
            guard let segment = o["segment"] as? [String: Any] else { return nil }
            return (segment, o["tokens"] as? Int ?? -1, o["path"] as? String ?? "")
        }
    }

    /// Frame counts of the written parts, from their own headers (`probe --json`); each accepted as it is.
    func probedFrames(_ paths: [String]) async throws -> [Int] {
        let probed = await run(["probe", "--json"] + paths)
        let all = try jsonLines(probed.out)
        let lines = paths.compactMap { path in all.first { $0["path"] as? String == path } }
        #expect(lines.count == paths.count)
        #expect(lines.allSatisfy { $0["accepted"] as? Bool == true && $0["videoCodec"] as? String == "h264" })
        return lines.map { $0["frameCount"] as? Int ?? -1 }
    }

    /// The one-hour fixture (H.264, a keyframe a minute): `auto` with a budget of 3,000 gives parts
    /// cut on keyframes, each ≤ 3,000 tokens, covering the hour frame for frame; 10-minute parts too.
    @Test func oneHourSplitOnKeyframes() async throws {
        let out = try TemporaryFolder()
        let auto = await run(["prepare", "--json", "--quiet", "--frames", "none", "--segments", "auto", "--budget", "3000",
                              "--out", out.path + "/auto", Fixture.video("one-hour-16x16.mp4")])
        #expect(auto.status == 0, "\(auto.err)")
        let line = try #require(try jsonLines(auto.out).first)
        let split = parts(line)
        #expect(split.count == 4 && split.allSatisfy { $0.tokens <= 3000 && $0.tokens >= 2000 }, "\(split.map(\.tokens))")
        #expect(line["tokens"] as? Int == split.reduce(0) { $0 + $1.tokens })
        let ranges = split.map { ($0.segment["startSeconds"] as? Double ?? -1, $0.segment["endSeconds"] as? Double ?? -1) }
        #expect(ranges.first?.0 == 0 && ranges.last?.1 == 3600)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.1 == b.0 && b.0.truncatingRemainder(dividingBy: 60) == 0) }
        let plan = try #require((line["plan"] as? [String: Any])?["segments"] as? [String: Any])
        #expect(plan["cut"] as? String == "keyframes")
        let frames = try await probedFrames(split.map { out.path + "/auto/" + $0.path })
        #expect(frames.reduce(0, +) == 3600 && frames == ranges.map { Int($0.1 - $0.0) }, "\(frames)")  // 1 fps: no gap, no overlap

        let tens = await run(["prepare", "--json", "--quiet", "--frames", "none", "--segments", "10m",
                              "--out", out.path + "/tens", Fixture.video("one-hour-16x16.mp4")])
        let tenParts = parts(try #require(try jsonLines(tens.out).first))
        #expect(tenParts.count == 6)
        #expect(try await probedFrames(tenParts.map { out.path + "/tens/" + $0.path }) == Array(repeating: 600, count: 6))
        // The whole hour fits the context as it is: auto without a budget leaves it one file.
        let whole = await run(["prepare", "--json", "--quiet", "--frames", "none", "--segments", "auto",
                               "--out", out.path + "/whole", Fixture.video("one-hour-16x16.mp4")])
        let one = try #require(try jsonLines(whole.out).first)
        #expect(parts(one).isEmpty && ((one["diagnostics"] as? [[String: Any]]) ?? []).contains { $0["code"] as? String == "segments-unneeded" })
    }

    /// Parts shorter than a GOP (and a VP9 source) are re-encoded and cut exactly: 2 s at 25 fps in
    /// half seconds is 13 + 12 + 13 + 12 frames, the audio cut with them.
    @Test func exactCutsWhenReencoded() async throws {
        let out = try TemporaryFolder()
        for clip in ["h264.mp4", "vp9.webm", "with-audio.mp4"] {
            let result = await run(["prepare", "--json", "--quiet", "--frames", "none", "--segments", "0.5",
                                    "--out", out.path + "/" + clip, Fixture.video(clip)])
            #expect(result.status == 0, "\(result.err)")
            let line = try #require(try jsonLines(result.out).first)
            let split = parts(line)
            #expect(split.count == 4, "\(clip)")
            #expect(((line["plan"] as? [String: Any])?["segments"] as? [String: Any])?["cut"] as? String == "exact")
            #expect(try await probedFrames(split.map { out.path + "/" + clip + "/" + $0.path }) == [13, 12, 13, 12], "\(clip)")
        }
    }

    /// `estimate --segments` prints the parts `prepare` would make.
    @Test func estimatePrintsTheParts() async throws {
        let result = await run(["estimate", "--segments", "auto", "--budget", "3000", Fixture.video("one-hour-16x16.mp4")])
        #expect(result.status == 0)
        #expect(result.out.contains("segments auto: 4 parts of at most 1000.0 s, each ≤ 3000 tokens"), "\(result.out)")
        #expect(result.out.contains("part 4: 3000.0–3600.0 s ≈ 1800 tokens"))
    }
}

/// `--budget-total`: a folder or a request within one total, the videos sharing what the images
/// and the text leave.
@Suite("prepare and request: a total budget")
struct BudgetTotalTests {
    let inputs = [Fixture.video("one-hour-16x16.mp4"), Fixture.video("h264.mp4"), Fixture.image("png-rgb.png")]

    @Test func aFolderWithinTheTotal() async throws {
        let out = try TemporaryFolder()
        let first = await run(["prepare", "--json", "--quiet", "--frames", "none", "--budget-total", "4000", "--out", out.path] + inputs)
        #expect(first.status == 0, "\(first.err)")
        let lines = try jsonLines(first.out)
        let total = lines.compactMap { $0["tokens"] as? Int }.reduce(0, +)
        #expect(total <= 4000 && total >= 3900, "\(total)")
        #expect(first.err.contains("within --budget-total 4000"))
        // The short clip cannot shrink (one chunk): it keeps its 35 tokens, the hour takes the rest.
        let clip = try #require(inOrder(lines, ["h264.mp4"]).first)
        #expect(clip["tokens"] as? Int == 35)
        // Same total: all resumed. Another total: the hour is redone; the image, and the clip whose
        // share is still its floor, are not.
        let again = await run(["prepare", "--quiet", "--frames", "none", "--budget-total", "4000", "--out", out.path] + inputs)
        #expect(again.err.contains("3 of these were already done"), "\(again.err)")
        let other = await run(["prepare", "--quiet", "--frames", "none", "--budget-total", "3000", "--out", out.path] + inputs)
        #expect(other.err.contains("2 of these were already done") && other.err.contains("within --budget-total 3000"), "\(other.err)")
        // Segments fit each part, not a total: refused together.
        #expect(await run(["prepare", "--budget-total", "10", "--segments", "auto", "--out", out.path] + inputs).status != 0)
    }

    @Test func aRequestWithinTheTotal() async throws {
        let folder = try TemporaryFolder()
        let result = await run(["request", "--prompt", "Compare these.", "--json", "--budget-total", "4000",
                                "--out", folder.path + "/r.json"] + inputs)
        #expect(result.status == 0, "\(result.err)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let tokens = try #require(summary["tokens"] as? Int)
        #expect(tokens <= 4000 && tokens >= 3900, "\(tokens)")
        let tooSmall = await run(["request", "--prompt", "Compare these.", "--budget-total", "100", "--out", folder.path + "/r.json"] + inputs)
        #expect(tooSmall.status == 1 && tooSmall.err.contains("nothing is left for the videos"), "\(tooSmall.err)")
    }
}

/// Files that are not files: a pipe would block the read (and the hash) for ever, a broken link has
/// nothing to read. Both are listed with their reason, never read; the rest of the batch goes on.
@Suite("prepare: pipes, devices and broken links")
struct SpecialFileTests {
    @Test func listedNeverRead() async throws {
        let folder = try TemporaryFolder()
        try folder.copy(Fixture.image("png-rgb.png"), as: "in/ok.png")
        #expect(mkfifo(folder.path + "/in/pipe.jpg", 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/in/broken.jpg", withDestinationPath: "/nonexistent/x.jpg")
        let result = await run(["prepare", "--json", "--quiet", "--out", folder.path + "/out", folder.path + "/in",
                                folder.path + "/in/pipe.jpg", "/dev/null"])
        #expect(result.status == 1)
        let lines = try jsonLines(result.out)
        #expect(lines.count == 4, "\(lines.map { $0["source"] ?? "" })")  // the pipe once, though named twice
        func message(_ name: String) -> String? {
            (lines.first { ($0["source"] as? String)?.hasSuffix(name) == true }?["error"] as? [String: Any])?["message"] as? String
        }
        #expect(message("pipe.jpg")?.contains("a pipe (FIFO)") == true)
        #expect(message("broken.jpg")?.contains("broken symbolic link") == true)
        #expect(message("/dev/null")?.contains("a device") == true)
        #expect(inOrder(lines, ["ok.png"]).first?["status"] as? String == "ok")
    }
}

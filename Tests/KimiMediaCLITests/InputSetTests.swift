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
        let sources = ["mpeg2.mpeg", "vp9.webm"]
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
        #expect(digests.count == 2 && digests.values.allSatisfy { $0.count == 1 }, "\(digests.mapValues { $0.map(\.count) })")
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

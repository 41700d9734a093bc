import Foundation
import KimiMedia
import KimiMediaCLI
import Testing
import TestSupport

/// The ordinary paths a new user walks, each of which once failed, stayed silent or said the wrong
/// thing: the output folder named as the input, a folder without media, `--segments` with nothing
/// to split, names that collide, estimates of what is not sent, help and wording.
@Suite("A new user's paths")
struct UserPathsTests {
    /// `prepare photos --out photos` wrote its manifest among the originals and said "0 prepared",
    /// exit 0; a file named directly inside the output folder would have been replaced by its copy.
    @Test func outputFolderCannotBeTheInput() async throws {
        let folder = try TemporaryFolder()
        let photo = try folder.copy(Fixture.jpegOrientation(6), as: "photos/IMG_1.jpg")
        let photos = folder.path + "/photos"
        let same = await run(["prepare", photos, "--out", photos])
        #expect(same.status == 2)
        #expect(same.err.contains("the output folder is the input folder") && same.err.contains("photos-prepared"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: photos) == ["IMG_1.jpg"])
        let before = try Data(contentsOf: URL(fileURLWithPath: photo))
        let own = await run(["prepare", photo, "--out", photos + "/"])
        #expect(own.status == 2 && own.err.contains("the original would be replaced"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: photo)) == before)
        // A folder inside the input is fine: its outputs are never read back as inputs.
        let inside = await run(["prepare", photos, "--out", photos + "/prepared", "--quiet"])
        #expect(inside.status == 0, "\(inside.err)")
        #expect(inside.err.contains("1 prepared"))
    }

    /// A folder without media said nothing ("0 tokens in all", exit 0).
    @Test func aFolderWithoutMediaIsSaid() async throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("docs/notes.txt", Array("not media".utf8))
        let docs = folder.path + "/docs"
        for command in [["estimate", docs], ["probe", docs], ["prepare", docs, "--out", folder.path + "/out"]] {
            let result = await run(command)
            #expect(result.status == 1, "\(command[0])")
            #expect(result.err.contains("no images or videos in \(docs)"), "\(command[0]): \(result.err)")
            #expect(!result.out.contains("0 tokens in all"))
        }
    }

    /// `--segments auto` on a video that fits said nothing; now the reason is on its line.
    @Test func segmentsWithNothingToSplitSaySo() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--segments", "auto", "--frames", "none", "--out", out.path, Fixture.video("h264.mp4")])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("note: the whole video") && result.out.contains("one file"), "\(result.out)")
    }

    /// Counts and wording: "1 frame" (not "1 frames"); a copied original is not "sent"; help gives
    /// one default for --jobs (it said "(default: the number of cores). (default: 2)").
    @Test func wordsReadRight() async throws {
        let out = try TemporaryFolder()
        let one = await run(["prepare", "--max-frames", "1", "--frames", "every:1", "--out", out.path, Fixture.video("h264.mp4"),
                             Fixture.image("png-rgb.png")])
        #expect(one.status == 0, "\(one.err)")
        #expect(one.out.contains(" 1 frame ") && !one.out.contains(" 1 frames"), "\(one.out)")
        #expect(!one.out.contains("sent as it was") && !one.err.contains("sent as they were"))
        #expect(one.out.contains("the original, already API-ready"), "\(one.out)")
        for command in ["prepare", "probe"] {
            // The help as one line of words (ArgumentParser wraps it at 80 columns).
            let help = (await run([command, "--help"])).out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(help.contains("(default: the number of cores)"), "\(command)")
            #expect(!help.contains("cores). (default:"), "\(command): \(help)")
        }
    }

    /// A file the API accepts keeps its name: `sample.jpg` stays `sample.jpg` beside `sample.avif`
    /// (whose JPEG took that name, and the real one became `sample-4.jpg`).
    @Test func acceptedFilesKeepTheirNames() async throws {
        let folder = try TemporaryFolder()
        _ = try folder.copy(Fixture.root.appendingPathComponent("convert/avif.avif").path, as: "in/sample.avif")
        _ = try folder.copy(Fixture.root.appendingPathComponent("convert/heic.heic").path, as: "in/sample.heic")
        _ = try folder.copy(Fixture.image("jpeg-baseline.jpg"), as: "in/sample.jpg")
        let result = await run(["prepare", "--json", "--out", folder.path + "/out", folder.path + "/in"])
        #expect(result.status == 0, "\(result.err)")
        let names = Dictionary(uniqueKeysWithValues: try jsonLines(result.out).map { line in
            (URL(fileURLWithPath: line["source"] as! String).lastPathComponent,
             ((line["outputs"] as? [[String: Any]])?.first?["path"] as? String) ?? "")
        })
        #expect(names == ["sample.jpg": "sample.jpg", "sample.avif": "sample-2.jpg", "sample.heic": "sample-3.jpg"])
    }

    /// `estimate` counts what `prepare` sends: a 1080×12000 screenshot fitted to 369×4096 (2,063
    /// tokens, not the 4,285 of the file as it is), a photo turned upright by its EXIF tag; the
    /// file's own cost is given beside it, and `--as-is` counts it alone.
    @Test func estimateCountsWhatPrepareSends() async throws {
        let folder = try TemporaryFolder()
        let tall = try folder.write("in/screenshot.jpg", try TestImages.jpeg(width: 1080, height: 12_000))
        let turned = try folder.write("in/turned.jpg", try TestImages.jpeg(width: 4000, height: 3000, orientation: 6))
        let estimate = await run(["estimate", "--json", tall, turned])
        #expect(estimate.status == 0, "\(estimate.err)")
        let lines = try jsonLines(estimate.out)
        let prepared = await run(["prepare", "--json", "--out", folder.path + "/out", tall, turned])
        #expect(prepared.status == 0, "\(prepared.err)")
        let sent = try jsonLines(prepared.out)
        func line(_ name: String) -> [String: Any]? { lines.first { ($0["path"] as? String)?.hasSuffix("/" + name) == true } }
        for name in ["screenshot.jpg", "turned.jpg"] {
            let made = try #require(inOrder(sent, [name]).first)
            #expect(line(name)?["tokens"] as? Int == made["tokens"] as? Int, "\(name)")
        }
        let screenshot = try #require(line("screenshot.jpg"))
        #expect(screenshot["tokens"] as? Int == 2_063 && screenshot["asIsTokens"] as? Int == 4_285)
        #expect(screenshot["width"] as? Int == 369 && screenshot["height"] as? Int == 4_096)
        let upright = try #require(line("turned.jpg"))
        #expect(upright["width"] as? Int == 2_160 && upright["height"] as? Int == 2_880, "\(upright)")
        let asIs = try jsonLines(await run(["estimate", "--json", "--as-is", tall]).out)
        #expect(asIs.first?["tokens"] as? Int == 4_285 && asIs.first?["asIsTokens"] == nil)
        let text = await run(["estimate", tall])
        #expect(text.out.contains("as it is: 4285 tokens (2063 as prepare sends it)"), "\(text.out)")
    }

    /// A missing FFmpeg names the packages to install (it said only that a `.so` could not be
    /// loaded). The library is hidden from one run by a bind mount in a mount namespace of its own
    /// (root only; skipped elsewhere).
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")))
    func missingFFmpegNamesItsPackages() throws {
        let library = "/usr/lib/x86_64-linux-gnu/libavformat.so.59"
        guard FileManager.default.fileExists(atPath: library) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-m", "sh", "-c", "mount --bind /dev/null \(library) && exec \"$0\" probe \"$1\"", try executable(),
                             Fixture.video("h264.mp4")]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "\(text)")
        #expect(text.contains("apt-get install libavformat59 libavcodec59 libavutil57 libswscale6 libswresample4"), "\(text)")
    }
}

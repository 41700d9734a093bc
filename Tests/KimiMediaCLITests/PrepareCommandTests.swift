import Foundation
import KimiMedia
import KimiMediaCLI
import MediaCodecs
import Testing
import TestSupport

@Suite("kimi-media prepare")
struct PrepareCommandTests {
    func manifest(_ folder: String) throws -> [[String: Any]] {
        try jsonLines(String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.jsonl")), as: UTF8.self))
    }

    @Test func preparesImagesAndRecordsEveryInput() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--out", out.path, Fixture.root.appendingPathComponent("images").path,
                                Fixture.root.appendingPathComponent("invalid").path])
        #expect(result.status == 1)  // the invalid files fail, the rest is prepared
        let lines = try manifest(out.path)
        #expect(lines.count == Fixture.names(in: "images").count + Fixture.names(in: "invalid").count)
        for line in lines {
            for key in ["source", "kind", "status", "outputs", "tokens", "passthrough", "diagnostics", "error"] {
                #expect(line.keys.contains(key), "missing \(key)")
            }
        }
        let ok = lines.filter { $0["status"] as? String == "ok" }
        #expect(ok.count == Fixture.names(in: "images").count)
        for line in ok {
            let output = try #require((line["outputs"] as? [[String: Any]])?.first)
            let path = out.path + "/" + (output["path"] as! String)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            #expect(size == output["bytes"] as? Int)
            #expect((output["tokens"] as? Int ?? 0) > 5)
            #expect(line["tokens"] as? Int == output["tokens"] as? Int)
        }
        // Every invalid fixture gives its typed error and the batch went on.
        let errors = lines.filter { $0["status"] as? String == "error" }
        #expect(errors.count == Fixture.names(in: "invalid").count)
        let truncated = try #require(errors.first { ($0["source"] as? String)?.hasSuffix("truncated.jpg") == true })
        #expect((truncated["error"] as? [String: String])?["code"] == "truncatedInput")
        // No temporary file is left behind; originals are where they were.
        let written = try FileManager.default.subpathsOfDirectory(atPath: out.path)
        #expect(!written.contains { $0.contains(".tmp") || $0.contains(".kimi-media-") })
        #expect(result.err.contains("prepared"))
    }

    @Test func fitsBoxesOrientsAndPassesThrough() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--max-side", "128", "--out", out.path,
                                Fixture.jpegOrientation(6), Fixture.image("png-rgba.png"), Fixture.jpegOrientation(1)])
        #expect(result.status == 0)
        let lines = inOrder(try jsonLines(result.out), ["jpeg-orientation-6.jpg", "png-rgba.png", "jpeg-orientation-1.jpg"])
        #expect(lines.count == 3)
        let first = try #require((lines[0]["outputs"] as? [[String: Any]])?.first)
        #expect(first["width"] as? Int == 96 && first["height"] as? Int == 64)
        #expect(first["path"] as? String == "jpeg-orientation-6.jpg")
        let rgba = try #require((lines[1]["outputs"] as? [[String: Any]])?.first)
        #expect(rgba["width"] as? Int == 128 && rgba["height"] as? Int == 96 && rgba["format"] as? String == "png")
        #expect((lines[0]["diagnostics"] as? [[String: Any]])?.first?["code"] as? String == "orientation-applied")
        #expect(lines[2]["passthrough"] as? Bool == true)
        let copied = try Data(contentsOf: URL(fileURLWithPath: out.path + "/jpeg-orientation-1.jpg"))
        #expect(copied == (try Data(contentsOf: URL(fileURLWithPath: Fixture.jpegOrientation(1)))))
    }

    @Test func modelFitKeepsTokensWithFewerPixels() async throws {
        let out = try TemporaryFolder()
        let box = await run(["prepare", "--json", "--format", "jpeg", "--out", out.path + "/box", Fixture.image("png-rgb.png")])
        let model = await run(["prepare", "--json", "--fit", "model", "--format", "jpeg", "--out", out.path + "/model",
                               Fixture.image("png-rgb.png")])
        #expect(box.status == 0 && model.status == 0)
        let a = try jsonLines(box.out)[0], b = try jsonLines(model.out)[0]
        #expect(a["tokens"] as? Int == b["tokens"] as? Int)
    }

    @Test func outputNamesStayInsideTheFolderAndDoNotCollide() async throws {
        let input = try TemporaryFolder()
        try input.copy(Fixture.image("png-rgb.png"), as: "set/a.png")
        try input.copy(Fixture.image("jpeg-baseline.jpg"), as: "set/a.jpg")
        try input.copy(Fixture.image("gif-static.gif"), as: "set/sub/we:ird name!.gif")
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--format", "jpeg", "--out", out.path, input.path + "/set"])
        #expect(result.status == 0)
        let names = try jsonLines(result.out).compactMap { ($0["outputs"] as? [[String: Any]])?.first?["path"] as? String }
        #expect(Set(names).count == 3)
        #expect(names.allSatisfy { !$0.hasPrefix("/") && !$0.contains("..") && !$0.hasPrefix(".") })
        #expect(names.contains("sub/we_ird name_.jpg"))
    }

    @Test(arguments: [["prepare", "x.jpg"], ["prepare", "--out", "/tmp/x", "--quality", "0", "x.jpg"],
                      ["prepare", "--out", "/tmp/x", "--fit", "sideways", "x.jpg"],
                      ["prepare", "--out", "/tmp/x", "--fit", "model", "--max-side", "100", "x.jpg"]])
    func usageErrors(_ arguments: [String]) async {
        let result = await run(arguments)
        #expect(result.status == 2)
        #expect(!result.err.isEmpty)
    }
}

@Suite("kimi-media prepare, video")
struct PrepareVideoTests {
    @Test func keyframesLandInAFolderWithTimestamps() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--out", out.path, Fixture.video("rotated-90.mp4"), Fixture.invalid("audio-only.mp4")])
        #expect(result.status == 1)
        let lines = inOrder(try jsonLines(result.out), ["rotated-90.mp4", "audio-only.mp4"])
        try #require(lines.count == 2)
        let all = try #require(lines[0]["outputs"] as? [[String: Any]])
        // The compliant MP4 itself (copied untouched), then its keyframes.
        #expect(all.map { $0["path"] as? String } == ["rotated-90/video.mp4", "rotated-90/frame-000001.jpg", "rotated-90/frame-000002.jpg"])
        #expect(all[0]["format"] as? String == "mp4" && lines[0]["passthrough"] as? Bool == true)
        #expect(all[0]["timestampSeconds"] == nil && all[0]["keyframe"] == nil)  // frames only
        let outputs = Array(all.dropFirst())
        #expect(outputs.map { $0["timestampSeconds"] as? Double } == [0, 1])
        #expect(all.allSatisfy { $0["width"] as? Int == 90 && $0["height"] as? Int == 160 })
        #expect(outputs.allSatisfy { $0["keyframe"] as? Bool == true })
        #expect(lines[0]["kind"] as? String == "video" && lines[0]["status"] as? String == "ok")
        #expect((lines[0]["tokens"] as? Int ?? 0) > 0)
        #expect((lines[1]["error"] as? [String: String])?["code"] == "unsupportedFormat")
        let entries = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!entries.contains { $0.hasPrefix(".kimi-media-") })  // no temporary folder left
    }

    /// `--frames model --video none`: the model's four frames of a VP9 clip and no video file.
    @Test func modelFramesWithoutVideo() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--frames", "model", "--video", "none", "--out", out.path, Fixture.video("vp9.webm")])
        #expect(result.status == 0)
        let outputs = try #require(try jsonLines(result.out).first?["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["timestampSeconds"] as? Double } == [0, 0.64, 1.32, 1.96])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path + "/vp9").sorted()
                == (1...4).map { "frame-00000\($0).jpg" })
    }

    /// WMV becomes an H.264 MP4 beside the frames; a bad `--frames` is a usage error.
    @Test func otherContainersAreWrittenAsMP4() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--max-fps", "5", "--no-audio", "--out", out.path, Fixture.video("wmv2.wmv")])
        #expect(result.status == 0)
        let line = try #require(try jsonLines(result.out).first)
        let video = try #require((line["outputs"] as? [[String: Any]])?.first)
        #expect(video["path"] as? String == "wmv2/video.mp4" && video["format"] as? String == "mp4")
        let info = try MediaProber.probe(path: out.path + "/wmv2/video.mp4")
        #expect(info.videoCodec == "h264" && info.frameCount == 10)
        #expect(await run(["prepare", "--frames", "every:0", "--out", out.path, Fixture.video("wmv2.wmv")]).status == 2)
        // --frames none: the video file alone.
        let alone = try TemporaryFolder()
        #expect(await run(["prepare", "--frames", "none", "--out", alone.path, Fixture.video("vp9.webm")]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: alone.path + "/vp9") == ["video.mp4"])
    }

    @Test func maxSideAppliesToVideoFrames() async throws {
        let out = try TemporaryFolder()
        let result = await run(["prepare", "--json", "--max-side", "64", "--out", out.path, Fixture.video("h264.mp4")])
        #expect(result.status == 0)
        let outputs = try #require(try jsonLines(result.out).first?["outputs"] as? [[String: Any]])
        #expect(outputs.allSatisfy { $0["width"] as? Int == 64 && $0["height"] as? Int == 36 })
    }
}

import Foundation
import KimiMedia
import Testing
import TestSupport

@Suite("Input walk")
struct InputWalkerTests {
    @Test func walksFoldersRecursivelyInSortedOrderKeepingMediaOnly() throws {
        let folder = try TemporaryFolder()
        try folder.copy(Fixture.image("png-rgb.png"), as: "b/z.png")
        try folder.copy(Fixture.image("jpeg-baseline.jpg"), as: "a.jpg")
        try folder.copy(Fixture.video("h264.mp4"), as: "b/c/clip.MP4")
        try folder.write("notes.txt", Array("hello".utf8))
        try folder.write(".hidden.png", [1, 2, 3])
        try folder.write(".cache/x.png", [1, 2, 3])
        let inputs = InputWalker.expand([folder.path])
        #expect(inputs.map(\.path) == ["a.jpg", "b/c/clip.MP4", "b/z.png"].map { folder.path + "/" + $0 })
        #expect(inputs.last == .file(folder.path + "/b/z.png", relative: "b/z.png"))
    }

    @Test func explicitFilesAreKeptWhateverTheirNameAndMissingPathsReported() throws {
        let folder = try TemporaryFolder()
        let notes = try folder.write("notes.txt", Array("hello".utf8))
        let inputs = InputWalker.expand([notes, folder.path + "/missing.jpg"])
        #expect(inputs.first == .file(notes, relative: "notes.txt"))
        guard case .unreadable(let path, let error) = inputs.last else {
            Issue.record("a missing path must be reported")
            return
        }
        #expect(path == folder.path + "/missing.jpg")
        #expect(error.code == .io)
    }

    @Test func symlinkLoopsDoNotTrapTheWalk() throws {
        let folder = try TemporaryFolder()
        try folder.copy(Fixture.image("gif-static.gif"), as: "d/a.gif")
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/d/loop", withDestinationPath: folder.path + "/d")
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/d/link.gif", withDestinationPath: folder.path + "/d/a.gif")
        let paths = InputWalker.expand([folder.path]).map(\.path)
        // The link to a.gif is the same file reached twice: one input.
        #expect(paths == [folder.path + "/d/a.gif"])
    }
}

@Suite("Prober")
struct ProberTests {
    @Test func streamsResultsInInputOrderWhateverTheParallelism() async throws {
        let inputs = Fixture.names(in: "video").map(Fixture.video) + Fixture.names(in: "images").map(Fixture.image)
        for jobs in [1, 3, 16] {
            var seen: [String] = []
            for await result in Prober().probe(inputs: inputs, jobs: jobs) {
                seen.append(result.path)
                #expect(result.info != nil, "\(result.path): \(String(describing: result.error))")
            }
            #expect(seen == inputs)
        }
    }

    @Test func failuresAreReportedAndTheRestGoesOn() async throws {
        let inputs = [Fixture.invalid("truncated.jpg"), Fixture.image("png-rgb.png"), Fixture.invalid("text.mp4")]
        var results: [ProbeResult] = []
        for await result in Prober().probe(inputs: inputs, jobs: 2) { results.append(result) }
        #expect(results.map { $0.error?.code } == [.truncatedInput, nil, .unsupportedFormat])
        #expect(results[1].info?.format == .png)
    }

    @Test func failureEncodesAsPathAndError() throws {
        let result = ProbeResult(path: "x.mp4", outcome: .failure(MediaErrorBox(
            MediaError(.unsupportedFormat, path: "x.mp4", stage: .probe, "content is text").summary)))
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(object["path"] as? String == "x.mp4")
        #expect(object["accepted"] as? Bool == false)
        let error = try #require(object["error"] as? [String: String])
        #expect(error["code"] == "unsupportedFormat")
        #expect(error["message"] == "x.mp4: probe: content is text")
    }

    @Test func originalsAreNeverModified() throws {
        let folder = try TemporaryFolder()
        let path = try folder.copy(Fixture.video("with-audio.mp4"), as: "v.mp4")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        _ = try Prober().probe(path: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == modified)
    }
}

import Foundation
import KimiMediaCLI
import Testing
import TestSupport

/// Runs the CLI in process and captures what it writes.
final class Captured: @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    var standardOutput: String { lock.withLock { out } }
    var standardError: String { lock.withLock { err } }

    var output: Output {
        Output(standardOutput: { text in self.lock.withLock { self.out += text } },
               standardError: { text in self.lock.withLock { self.err += text } })
    }
}

func run(_ arguments: [String]) async -> (status: Int32, out: String, err: String) {
    let captured = Captured()
    let status = await Output.$current.withValue(captured.output) {
        await KimiMediaCommand.main(arguments: arguments)
    }
    return (status, captured.standardOutput, captured.standardError)
}

/// `prepare --json` lines come in the order files finish: these are the lines of `names` (by the
/// source's file name), in that order.
func inOrder(_ lines: [[String: Any]], _ names: [String]) -> [[String: Any]] {
    names.compactMap { name in lines.first { ($0["source"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } == name } }
}

func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
}

@Suite("kimi-media probe")
struct ProbeCommandTests {
    @Test func jsonOverTheWholeFixtureFolderReportsEveryFile() async throws {
        let result = await run(["probe", "--json", Fixture.root.path])
        #expect(result.status == 1)  // Fixtures/invalid fails, by design
        let lines = try jsonLines(result.out)
        let total = ["images", "video", "invalid", "convert", "quirks", "progressive"].map { Fixture.names(in: $0).count }.reduce(0, +)
        #expect(lines.count == total)
        let failed = lines.filter { $0["error"] != nil }
        // bad-crc.png, bad-zlib.png, icon-bomb.ico and fuzz-avif-empty-item.avif have sound headers:
        // their damage is found when decoding.
        #expect(failed.count == Fixture.names(in: "invalid").count - 4)
        #expect(failed.allSatisfy { ($0["path"] as? String)?.contains("/invalid/") == true })
        #expect(result.err.contains("\(failed.count) inputs failed"))
        let rotated = try #require(lines.first { ($0["path"] as? String)?.hasSuffix("rotated-90.mp4") == true })
        #expect(rotated["width"] as? Int == 90 && rotated["height"] as? Int == 160 && rotated["rotation"] as? Int == 90)
    }

    @Test func successExitsZero() async throws {
        let result = await run(["probe", "--json", Fixture.image("jpeg-orientation-6.jpg"), Fixture.video("h264.mp4")])
        #expect(result.status == 0)
        let lines = try jsonLines(result.out)
        #expect(lines.count == 2)
        #expect(lines[0]["exifOrientation"] as? Int == 6 && lines[0]["rotation"] as? Int == 90)
        #expect(lines[0]["width"] as? Int == 96 && lines[0]["storedWidth"] as? Int == 64)
        #expect(lines[1]["videoCodec"] as? String == "h264")
        #expect(result.err.isEmpty)
    }

    @Test func tableHasAHeaderAndARowPerInput() async {
        let result = await run(["probe", Fixture.image("png-rgba.png"), Fixture.invalid("huge-screen.gif")])
        #expect(result.status == 1)
        let rows = result.out.split(separator: "\n")
        #expect(rows.count == 3)
        #expect(rows[0].hasPrefix("FORMAT"))
        #expect(rows[1].hasPrefix("png    320x240") && rows[1].hasSuffix("png-rgba.png"))
        #expect(rows[2].contains("limitExceeded") && rows[2].contains("huge-screen.gif"))
    }

    @Test func optionsReachTheProbe() async throws {
        let small = await run(["probe", "--json", "--max-pixels", "1000", Fixture.image("png-rgb.png")])
        #expect(small.status == 1)
        #expect(try jsonLines(small.out).first?["error"] as? [String: String] != nil)
        let allowed = await run(["probe", "--json", "--allow-truncated", Fixture.invalid("truncated.jpg")])
        #expect(allowed.status == 0)
        let diagnostics = try jsonLines(allowed.out).first?["diagnostics"] as? [[String: Any]]
        #expect(diagnostics?.first?["code"] as? String == "truncated")
    }

    @Test(arguments: [["probe"], ["probe", "--jobs", "0", "x"], ["probe", "--bogus", "x"], ["frobnicate"],
                      ["probe", "--max-pixels", "-5", "x"]])
    func usageErrorsExitTwo(_ arguments: [String]) async {
        let result = await run(arguments)
        #expect(result.status == 2)
        #expect(!result.err.isEmpty)
        #expect(result.out.isEmpty)
    }

    @Test func helpAndVersionExitZero() async {
        let help = await run(["probe", "--help"])
        #expect(help.status == 0)
        #expect(help.out.contains("--allow-truncated"))
        let version = await run(["--version"])
        #expect(version.status == 0)
        #expect(version.out.hasPrefix("0."))
    }
}

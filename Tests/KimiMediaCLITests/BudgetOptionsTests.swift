import Foundation
import KimiMediaCLI
import Testing
import TestSupport

/// The budget options are one group: the same flags, checked the same way, in prepare, request
/// and estimate (estimate did not check them at all, and had no --budget-total).
@Suite("Budget options, one group")
struct BudgetOptionsTests {
    static let commands: [[String]] = [["prepare", "--out", "/tmp/kimi-media-unused"], ["request", "--prompt", "x"], ["estimate"]]

    @Test(arguments: [(["--budget", "0"], "--budget must be at least 1"), (["--budget-total", "0"], "--budget-total must be at least 1"),
                      (["--keep", "fps"], "--keep needs --budget or --budget-total"),
                      (["--budget-total", "900", "--segments", "auto"], "--budget-total and --segments exclude each other")])
    func sameRulesEverywhere(_ flags: [String], _ message: String) async {
        for command in Self.commands {
            let result = await run(command + flags + [Fixture.video("h264.mp4")])
            #expect(result.status == 2, "\(command[0]) \(flags)")
            #expect(result.err.contains(message), "\(command[0]) \(flags): \(result.err)")
        }
    }

    /// `estimate --budget-total`: the videos share what the images leave, as prepare shares it.
    @Test func estimateSharesATotal() async throws {
        let inputs = [Fixture.image("jpeg-baseline.jpg"), Fixture.video("one-hour-16x16.mp4"), Fixture.video("vp9.webm")]
        let whole = try jsonLines(await run(["estimate", "--json"] + inputs).out)
        let shared = await run(["estimate", "--json", "--budget-total", "5000"] + inputs)
        #expect(shared.status == 0, "\(shared.err)")
        let lines = try jsonLines(shared.out)
        let total = lines.compactMap { $0["tokens"] as? Int }.reduce(0, +)
        #expect(total <= 5_000 && total < whole.compactMap { $0["tokens"] as? Int }.reduce(0, +), "\(lines)")
        #expect(lines.filter { $0["budget"] != nil }.count == 2)  // each video's plan under its share
        #expect(await run(["estimate", "--budget-total", "5000"] + inputs).err.contains("within --budget-total 5000"))
    }
}

import Foundation
import KimiAPI
import MediaCore
import Testing
import TestSupport

@Suite("Payload planner")
struct PayloadPlannerTests {
    func items(_ folder: TemporaryFolder) throws -> [PayloadItem] {
        let image = try folder.copy(Fixture.image("jpeg-baseline.jpg"), as: "a.jpg")
        let video = try folder.copy(Fixture.video("with-audio.mp4"), as: "v.mp4")
        let size = { (p: String) in (try FileManager.default.attributesOfItem(atPath: p)[.size] as? Int64) ?? 0 }
        return [PayloadItem(path: image, format: .jpeg, bytes: try size(image)), PayloadItem(path: video, format: .mp4, bytes: try size(video))]
    }

    /// The planned byte count is the size of the body actually written, to the byte, and the written
    /// body decodes with each data URL holding the file's base64.
    @Test func exactBodyBytes() throws {
        let folder = try TemporaryFolder()
        let items = try items(folder)
        let planner = PayloadPlanner()
        let plan = try planner.plan(prompt: "What is in these? \"quoted\" / slashes \\ and ünïcödé", items: items)
        #expect(plan.entries.map(\.delivery) == [.inline, .inline])
        let request = planner.request(prompt: "What is in these? \"quoted\" / slashes \\ and ünïcödé", items: items,
                                      deliveries: plan.entries.map(\.delivery))
        let out = folder.path + "/body.json"
        let written = try RequestBodyWriter.write(request, items: items, deliveries: plan.entries.map(\.delivery), to: out)
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(Int64(data.count) == written && written == plan.bodyBytes)
        let decoded = try JSONDecoder().decode(ChatRequest.self, from: data)
        guard case .parts(let parts)? = decoded.messages.first?.content, case .imageURL(let url) = parts[0] else {
            Issue.record("no image part")
            return
        }
        let original = try Data(contentsOf: URL(fileURLWithPath: items[0].path))
        #expect(url == "data:image/jpeg;base64," + original.base64EncodedString())
        #expect(plan.entries[0].bodyBytes == Int64(url.utf8.count))
        #expect(decoded.violations().isEmpty)
    }

    /// Over the limit: the video is uploaded first, then images, largest first.
    @Test func decisionsUnderTheLimit() throws {
        let folder = try TemporaryFolder()
        let items = try items(folder)
        let all = try PayloadPlanner().plan(prompt: "x", items: items).bodyBytes
        let videoInline = items[1].bytes * 4 / 3
        let tight = try PayloadPlanner(limit: all - videoInline / 2).plan(prompt: "x", items: items)
        #expect(tight.entries.map(\.delivery) == [.inline, .upload])
        #expect(tight.bodyBytes <= tight.limit)
        let tiny = try PayloadPlanner(limit: 600).plan(prompt: "x", items: items)
        #expect(tiny.entries.map(\.delivery) == [.upload, .upload])
        #expect(try PayloadPlanner(mode: .uploadAll).plan(prompt: "x", items: items).entries.map(\.delivery) == [.upload, .upload])
        let forced = try PayloadPlanner(limit: 600, mode: .inlineOnly).plan(prompt: "x", items: items)
        #expect(forced.entries.map(\.delivery) == [.inline, .inline] && forced.bodyBytes > forced.limit)
        // With a real id the reference is counted exactly.
        let known = try PayloadPlanner(mode: .uploadAll).plan(prompt: "x", items: items, uploads: [0: "abc", 1: "defg"])
        #expect(known.entries.map(\.bodyBytes) == [8, 9])
        let body = try PayloadPlanner(mode: .uploadAll).request(prompt: "x", items: items, deliveries: [.upload, .upload],
                                                                uploads: [0: "abc", 1: "defg"]).body()
        #expect(Int64(body.count) == known.bodyBytes)
    }
}

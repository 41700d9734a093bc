import Foundation
import KimiMedia
import Testing
import TestSupport

/// The library façade end to end, as the README shows it: two images and a video prepared, turned
/// into parts (images inline, the video uploaded), sent as a K2.6 chat request to the stand-in.
@Suite("Library façade")
struct FacadeTests {
    @Test func twoImagesAndAVideoToAChatRequest() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        let work = try TemporaryFolder()
        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey))
        let client = MoonshotClient(configuration: configuration)
        defer { Task { await client.shutdown() } }
        let cache = UploadCache(path: work.path + "/uploads.json")

        let preparer = Preparer(videoOptions: VideoOptions(frames: .none))
        let urls = [Fixture.image("jpeg-orientation-6.jpg"), Fixture.image("png-rgba.png"), Fixture.video("vp9.webm")].map(URL.init(fileURLWithPath:))
        var parts: [ContentPart] = []
        var tokens = 0
        for await (url, result) in preparer.prepare(urls, jobs: 2, workFolder: work.url) {
            let media = try result.get()
            #expect(media.source == url.path)
            parts.append(try await media.contentPart(client: client, cache: cache))
            tokens += media.tokens ?? 0
        }
        #expect(parts.count == 3)
        guard case .imageURL(let first) = parts[0], case .videoURL(let video) = parts[2] else {
            Issue.record("unexpected parts \(parts.map { "\($0)".prefix(40) })")
            return
        }
        #expect(first.hasPrefix("data:image/jpeg;base64,") && video.hasPrefix("ms://"))
        let request = ChatRequest(messages: [.user(parts + [.text("What do these show?")])])
        let answer = try await client.chat(request)
        #expect(answer.text?.hasPrefix("stand-in answer: 2 image(s), 1 video(s)") == true)
        // The stand-in's count (its own arithmetic): one message, the generation prompt, its text rule.
        #expect(answer.usage?.promptTokens == 4 + 4 + tokens + StandInTokens.text("What do these show?"))
        #expect(server.fileCount == 1)  // the video, uploaded once (its re-encoded MP4)

        // A failure is a result in the stream; the others go on.
        var outcomes: [Bool] = []
        for await (_, result) in preparer.prepare([Fixture.invalid("empty.jpg"), Fixture.image("png-rgb.png")].map(URL.init(fileURLWithPath:))) {
            outcomes.append((try? result.get()) != nil)
        }
        #expect(outcomes == [false, true])
    }
}

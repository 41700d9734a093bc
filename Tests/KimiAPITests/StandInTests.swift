import Foundation
import KimiAPI
import MediaCodecs
import MediaCore
import Testing
import TestSupport

/// The stand-in is a second implementation of the contract, not a copy of the client: its token
/// arithmetic is anchored to the spec's own numbers, its rules to the documented contract, and where
/// the client and it disagree on a rule the client was changed (or the difference is listed here).
@Suite("Stand-in: independent of the client")
struct StandInTests {
    /// Every picture row of docs/kimi-api.md §2.5 and §3.4 through the stand-in's own transcription.
    @Test func goldenRows() {
        for g in StandInTokens.goldens {
            #expect(StandInTokens.pads(width: g.width, height: g.height, budget: g.frame ? 4096 : 16384) == g.pads, "\(g)")
        }
        // §3.4's whole videos (30 fps), with 7 timestamp + 4 wrapper tokens a chunk.
        #expect(StandInTokens.video(frames: 300, fps: 30, width: 1920, height: 1080) == 5215)
        #expect(StandInTokens.video(frames: 1800, fps: 30, width: 1920, height: 1080) == 31290)
        #expect(StandInTokens.video(frames: 1800, fps: 30, width: 640, height: 480) == 12750)
        #expect(StandInTokens.video(frames: 60, fps: 1, width: 1920, height: 1080) == 15645)
        #expect(StandInTokens.video(frames: 9000, fps: 30, width: 1920, height: 1080) == 156450)
    }

    /// The one request whose count the serving API gave (docs/kimi-api.md §2.4, I1): a 224×224 image and
    /// "Describe the image." are 81 prompt tokens. The stand-in reaches it; the offline count is one
    /// over (its text heuristic splits "Describe" in two), which is the text estimate's known slack.
    @Test func servingAPIDataPoint() {
        let standIn = 4 + StandInTokens.image(width: 224, height: 224) + StandInTokens.text("Describe the image.") + 4
        #expect(standIn == 81)
        let offline = RequestTokens.count([.user([.imageURL("data:image/png;base64,AA"), .text("Describe the image.")])]) { _ in
            ImageTokens(width: 224, height: 224).promptTokens()
        }
        #expect(offline == 82)
    }

    /// Offline and stand-in counts agree on every fixture image and video (sizes, frame counts and
    /// rates as the prober reads them): the media arithmetic of two implementations.
    @Test func fixturesCountTheSame() throws {
        let images = try FileManager.default.contentsOfDirectory(atPath: Fixture.image("")).sorted()
        #expect(images.count >= 20)
        for name in images {
            let path = Fixture.image(name)
            let info = try MediaProber.probe(path: path)
            #expect(try TokenEstimate.of(info).tokens == StandInTokens.image(width: info.storedWidth, height: info.storedHeight), "\(name)")
        }
        for name in ["h264.mp4", "with-audio.mp4", "vp9.webm", "wmv2.wmv"] {
            let info = try MediaProber.probe(path: Fixture.video(name))
            let frames = try #require(info.frameCount), fps = try #require(info.frameRate)
            #expect(try TokenEstimate.of(info).tokens
                    == StandInTokens.video(frames: frames, fps: fps, width: info.storedWidth, height: info.storedHeight), "\(name)")
        }
    }

    /// Raw bodies, posted as they are (``MoonshotClient/chat(bodyFile:)`` checks no rule), get the
    /// stand-in's verdict; the client's own `violations()` must agree on each.
    @Test func contractRulesAgreeWithTheClient() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(MoonshotClient(configuration: try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey)))) { api in
            let folder = try TemporaryFolder()
            let jpeg = try Data(contentsOf: URL(fileURLWithPath: Fixture.image("jpeg-baseline.jpg"))).base64EncodedString()
            let webm = try Data(contentsOf: URL(fileURLWithPath: Fixture.video("vp9.webm"))).base64EncodedString()
            let bmp = try Data(contentsOf: URL(fileURLWithPath: Fixture.image("../convert/bmp.bmp"))).base64EncodedString()
            func body(_ extra: String = "", content: String = #"[{"type":"text","text":"hi"}]"#, model: String = "kimi-k2.6") -> String {
                #"{"model":"\#(model)","messages":[{"role":"user","content":\#(content)}]\#(extra)}"#
            }
            let cases: [(name: String, body: String, accepted: Bool)] = [
                ("plain", body(), true),
                ("bare-string image_url", body(content: #"[{"type":"image_url","image_url":"data:image/jpeg;base64,\#(jpeg)"}]"#), true),
                ("non-canonical image type", body(content: #"[{"type":"image_url","image_url":{"url":"data:image/jpg;base64,\#(jpeg)"}}]"#), true),
                ("BMP image", body(content: #"[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,\#(bmp)"}}]"#), false),
                ("inline WebM", body(content: #"[{"type":"video_url","video_url":{"url":"data:video/webm;base64,\#(webm)"}}]"#), false),
                ("web URL", body(content: #"[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]"#), false),
                ("empty content", body(content: #""""#), false),
                ("temperature", body(#","temperature":0.3"#), false),
                ("fixed temperature, thinking off", body(#","temperature":0.6,"thinking":{"type":"disabled"}"#), true),
                ("n", body(#","n":2"#), false),
                ("zero budget", body(#","max_completion_tokens":0"#), false),
                ("six stops", body(#","stop":["a","b","c","d","e","f"]"#), false),
                ("required without thinking", body(#","thinking":{"type":"disabled"},"tool_choice":"required","tools":[{"type":"function","function":{"name":"look_up"}}]"#), true),
                ("required with thinking", body(#","tool_choice":"required","tools":[{"type":"function","function":{"name":"look_up"}}]"#), false),
                ("bad tool name", body(#","tools":[{"type":"function","function":{"name":"1x"}}]"#), false),
            ]
            for c in cases {
                let path = folder.path + "/\(UUID().uuidString).json"
                _ = FileManager.default.createFile(atPath: path, contents: Data(c.body.utf8))
                var refusal: APIError?
                do throws(APIError) { _ = try await api.chat(bodyFile: path) } catch { refusal = error }
                #expect((refusal == nil) == c.accepted, "stand-in on \(c.name): \(refusal?.message ?? "accepted")")
                if let refusal { #expect(refusal.status == 400 && refusal.type == "invalid_request_error", "\(c.name)") }
                // The client's own rules say the same.
                let request = try JSONDecoder().decode(ChatRequest.self, from: Data(c.body.utf8))
                #expect(request.violations().isEmpty == c.accepted, "client on \(c.name): \(request.violations())")
            }
            // A retired model: the real 404's words.
            let retired = folder.path + "/retired.json"
            _ = FileManager.default.createFile(atPath: retired, contents: Data(body(model: "kimi-k2.5").utf8))
            await #expect(throws: APIError.self) { try await api.chat(bodyFile: retired) }
            do throws(APIError) { _ = try await api.chat(bodyFile: retired) } catch {
                #expect(error.status == 404 && error.message.contains("Not found the model kimi-k2.5"))
            }
        }
    }

    /// The planner never puts a non-MP4 video inline (the stand-in, like the model's reader, refuses it).
    @Test func nonMP4VideoIsUploaded() throws {
        let folder = try TemporaryFolder()
        let webm = try folder.copy(Fixture.video("vp9.webm"), as: "v.webm")
        let mp4 = try folder.copy(Fixture.video("h264.mp4"), as: "v.mp4")
        let size = { (path: String) in (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0 }
        let items = [PayloadItem(path: webm, format: .webm, bytes: try size(webm)), PayloadItem(path: mp4, format: .mp4, bytes: try size(mp4))]
        let plan = try PayloadPlanner().plan(prompt: "x", items: items)
        #expect(plan.entries.map(\.delivery) == [.upload, .inline])
    }

    /// The faults the real API was seen to send: the client survives each.
    @Test func realFaultsAreSurvived() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(MoonshotClient(configuration: try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey)), retry: RetryPolicy(baseDelay: 0.01, maxDelay: 0.05))) { api in
            // An overloaded engine answers 429 (not 503) with no header and no wait: retried.
            server.enqueue(.overloaded, times: 2)
            let files = try await api.listFiles()
            #expect(files.isEmpty)
            #expect(server.requests.count == 3)
            // A numeric error code keeps the type and message readable.
            server.enqueue(.numericCode(400, type: "invalid_request_error"))
            do throws(APIError) {
                _ = try await api.listFiles()
                Issue.record("a 400 did not fail")
            } catch {
                #expect(error.type == "invalid_request_error" && error.message.contains("numeric code"))
            }
            // Out of money: stops at once, no retry.
            let before = server.requests.count
            server.enqueue(.quotaExhausted, times: 3)
            do throws(APIError) {
                _ = try await api.listFiles()
                Issue.record("an exhausted quota did not fail")
            } catch {
                #expect(error.isQuotaExhausted)
            }
            #expect(server.requests.count == before + 1)
        }
    }

    /// A cached upload whose re-check is refused with a 4xx other than 404 is uploaded again, not a failed run.
    @Test func refusedCacheCheckUploadsAgain() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(MoonshotClient(configuration: try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey)))) { api in
            let folder = try TemporaryFolder()
            let cache = UploadCache(path: folder.path + "/cache.json")
            let video = Fixture.video("h264.mp4")
            let (first, _) = try await api.uploadOnce(path: video, purpose: .video, mimeType: "video/mp4", cache: cache)
            server.enqueue(.status(400, type: "invalid_request_error"))
            let (second, reused) = try await api.uploadOnce(path: video, purpose: .video, mimeType: "video/mp4", cache: cache)
            #expect(!reused && second.id != first.id && server.fileCount == 2)
            let (third, again) = try await api.uploadOnce(path: video, purpose: .video, mimeType: "video/mp4", cache: cache)
            #expect(again && third.id == second.id)
        }
    }
}

/// Runs `body` with `client` and shuts it down (awaited) however `body` ends: the tests' scoped
/// client, like `withMoonshotClient` for a client made with options of the test's own.
func scoped<Value>(_ client: MoonshotClient, _ body: (MoonshotClient) async throws -> Value) async throws -> Value {
    do {
        let value = try await body(client)
        await client.shutdown()
        return value
    } catch {
        await client.shutdown()
        throw error
    }
}

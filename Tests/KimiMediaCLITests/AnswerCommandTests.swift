import Foundation
import KimiAPI
import Testing
import TestSupport

/// Streaming, the output budget, model discovery and the balance, against the stand-in.
@Suite("Answers, models and balance against the stand-in", .serialized)
struct AnswerCommandTests {
    func setup() async throws -> (MoonshotStandIn, TemporaryFolder, [String]) {
        let server = try await MoonshotStandIn.start()
        let folder = try TemporaryFolder()
        let keyFile = try folder.write("key.txt", Array((server.options.apiKey + "\n").utf8))
        return (server, folder, ["--base-url", server.baseURL, "--api-key-file", keyFile, "--upload-cache", folder.path + "/uploads.json"])
    }

    /// `request --send --stream`: the answer arrives as events, its text on standard output, the
    /// reasoning apart on standard error, then the usage.
    @Test func streamedAnswer() async throws {
        let (server, folder, api) = try await setup()
        defer { Task { await server.stop() } }
        let result = await run(["request", "--prompt", "What is this?", "--send", "--stream", "--out", folder.path + "/r.json"] + api
            + [Fixture.image("jpeg-baseline.jpg")])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("stand-in answer: 1 image(s), 0 video(s)"))
        #expect(!result.out.contains("describe them"))  // the reasoning is not the answer
        #expect(result.err.contains("[thinking] The user sent 1 item(s); describe them."))
        #expect(result.err.contains("+ 12 completion tokens") && result.err.contains("difference 0)"))
        let body = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/r.json"))) as? [String: Any]
        #expect(body?["stream"] as? Bool == true && body?["max_completion_tokens"] as? Int == 32_768)
    }

    /// The library's stream: reasoning and content apart, the assembled answer last; stopping early
    /// ends the request instead of hanging.
    @Test func libraryStream() async throws {
        let (server, _, _) = try await setup()
        defer { Task { await server.stop() } }
        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey))
        try await withMoonshotClient(configuration) { client in
            var reasoning = "", content = ""
            var final: ChatResponse?
            for try await event in client.chatStream(ChatRequest(messages: [.user([.text("Hello there")])])) {
                switch event {
                case .reasoning(let text): reasoning += text
                case .content(let text): content += text
                case .finished(let answer): final = answer
                }
            }
            #expect(reasoning == "The user sent 0 item(s); describe them.")
            #expect(content == final?.text && content.hasPrefix("stand-in answer"))
            #expect(final?.choices.first?.finishReason == "stop" && final?.usage?.completionTokens == 12)
            #expect(final?.choices.first?.message.reasoningContent == reasoning)
            var seen = 0
            for try await _ in client.chatStream(ChatRequest(messages: [.user([.text("Hello again")])])) {
                seen += 1
                break
            }
            #expect(seen == 1)
            // A rule broken is refused before anything is sent.
            let before = server.requests.count
            await #expect(throws: APIError.self) {
                for try await _ in client.chatStream(ChatRequest(messages: [.user([.text("x")])], temperature: 0.2)) {}
            }
            #expect(server.requests.count == before)
        }
    }

    /// A budget too small for the thinking: the answer is cut with no text; the CLI says so and
    /// shows the reasoning instead of an empty line.
    @Test func answerCutAtTheBudget() async throws {
        let (server, folder, api) = try await setup()
        defer { Task { await server.stop() } }
        let result = await run(["request", "--prompt", "Describe", "--send", "--max-completion-tokens", "5", "--out", folder.path + "/r.json"]
            + api)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("(no answer text; the reasoning so far:)"))
        #expect(result.err.contains("cut at the output budget (finish_reason \"length\"), before any answer text"))
        #expect(result.err.contains("5 completion tokens"))
    }

    /// `models` lists what the key may use; a retired model fails `request --send` before any upload.
    @Test func modelsAndRetiredModels() async throws {
        let (server, folder, api) = try await setup()
        defer { Task { await server.stop() } }
        let listed = await run(["models"] + api)
        #expect(listed.status == 0)
        #expect(listed.out.contains("kimi-k2.6  262144 tokens  image video reasoning  profile"))
        let json = try jsonLines((await run(["models", "--json"] + api)).out)
        #expect(json.contains { $0["id"] as? String == "kimi-k2.6" && $0["supports_video_in"] as? Bool == true })
        let retired = await run(["request", "--prompt", "x", "--model", "kimi-k2.5", "--send", "--out", folder.path + "/r.json"] + api
            + [Fixture.video("h264.mp4")])
        #expect(retired.status == 1)
        #expect(retired.err.contains("the model kimi-k2.5 is not offered to this key"))
        #expect(server.requests.filter { $0.hasPrefix("POST") }.isEmpty)  // nothing uploaded, nothing sent
    }

    @Test func balance() async throws {
        let (server, folder, api) = try await setup()  // the folder holds the key file: keep it
        defer { Task { await server.stop() } }
        let result = await run(["balance"] + api)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("available 10.00  (voucher 0.00, cash 10.00)"))
        let broke = try await MoonshotStandIn.start(.init(balance: 0))
        defer { Task { await broke.stop() } }
        let emptyAPI = ["--base-url", broke.baseURL] + api.dropFirst(2)
        let empty = await run(["balance"] + emptyAPI)
        #expect(empty.status == 1, "\(empty.err)")
        #expect(empty.err.contains("nothing available"))
        // With requests to spare (a loopback stand-in is unlimited), --send checks the balance first:
        // nothing is uploaded or sent from an empty account.
        let send = await run(["request", "--prompt", "Describe", "--send", "--upload-all", "--out", folder.path + "/r.json"] + emptyAPI
                             + [Fixture.image("png-rgb.png")])
        #expect(send.status == 1 && send.err.contains("available balance is 0"), "\(send.err)")
        #expect(broke.requests.filter { $0.hasPrefix("POST") }.isEmpty)
        // On the entry tier (3 a minute) the default model and the balance are not checked: no request is spent on them.
        let seen = broke.requests.count
        let paced = await run(["prepare", "--remote", "--quiet", "--rpm", "3", "--out", folder.path + "/p"] + emptyAPI + [Fixture.image("png-rgb.png")])
        #expect(broke.requests.dropFirst(seen) == ["POST /v1/tokenizers/estimate-token-count"], "\(paced.err)")
        withExtendedLifetime(folder) {}
    }
}

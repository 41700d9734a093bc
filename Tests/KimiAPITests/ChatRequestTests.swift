import Foundation
import KimiAPI
import MediaCore
import Testing

@Suite("Chat request model and K2.6 rules")
struct ChatRequestTests {
    @Test func partsEncodeAsDocumented() throws {
        let request = ChatRequest(messages: [.user([.imageURL("data:image/png;base64,AAAA"), .videoURL("ms://abc"), .text("hi")])],
                                  thinking: .disabled)
        let json = String(decoding: try request.body(), as: UTF8.self)
        #expect(json == #"{"messages":[{"content":[{"image_url":{"url":"data:image/png;base64,AAAA"},"type":"image_url"},"#
                + #"{"type":"video_url","video_url":{"url":"ms://abc"}},{"text":"hi","type":"text"}],"role":"user"}],"#
                + #""model":"kimi-k2.6","thinking":{"type":"disabled"}}"#)
        // The bare-string form decodes too.
        let bare = #"{"type":"image_url","image_url":"ms://x"}"#
        #expect(try JSONDecoder().decode(ContentPart.self, from: Data(bare.utf8)) == .imageURL("ms://x"))
        let round = try JSONDecoder().decode(ChatRequest.self, from: request.body())
        #expect(round == request)
    }

    @Test func fixedSamplingParameters() {
        var request = ChatRequest(messages: [.user([.text("x")])], temperature: 0.7, topP: 0.9, n: 2, presencePenalty: 0.1,
                                  frequencyPenalty: 0.2)
        let fields = request.violations().map(\.field)
        #expect(fields == ["temperature", "top_p", "n", "presence_penalty", "frequency_penalty"])
        #expect(request.violations()[0].allowed.contains("1.0"))
        request.thinking = .disabled
        request.temperature = 0.6
        request.topP = 0.95
        request.n = 1
        request.presencePenalty = 0
        request.frequencyPenalty = 0
        #expect(request.violations().isEmpty)
        request.temperature = 1.0  // thinking off: 0.6 only
        #expect(request.violations().map(\.field) == ["temperature"])
        // Other models may change them.
        #expect(ChatRequest(model: "moonshot-v1-8k", messages: [.user([.text("x")])], temperature: 0.3).violations().isEmpty)
    }

    @Test func toolChoiceAndReasoningWithThinking() {
        let call = ToolCall(id: "c1", name: "look_up", arguments: "{}")
        let messages: [ChatMessage] = [
            .user([.text("q")]),
            ChatMessage(role: .assistant, content: nil, toolCalls: [call]),
            ChatMessage(role: .tool, content: .text("42"), toolCallID: "c1"),
        ]
        let request = ChatRequest(messages: messages, tools: [Tool(function: .init(name: "look_up"))], toolChoice: .required)
        let violations = request.violations()
        #expect(violations.map(\.field) == ["tool_choice", "messages[1].reasoning_content"])
        var fixed = request
        fixed.toolChoice = .auto
        fixed.messages[1].reasoningContent = "I should look it up."
        #expect(fixed.violations().isEmpty)
        var off = request
        off.thinking = .disabled
        #expect(off.violations().isEmpty)  // no thinking: required and no reasoning are fine
    }

    @Test func shapesAndLimits() {
        let request = ChatRequest(messages: [
            ChatMessage(role: .user, content: .parts([])),
            .user([.imageURL("https://example.com/a.png"), .imageURL("data:image/bmp;base64,AA"), .videoURL("ms://"), .text("")]),
        ], tools: [Tool(function: .init(name: "x"))], maxCompletionTokens: 0,
           stop: Array(repeating: "s", count: 6) + [String(repeating: "y", count: 33)])
        let fields = request.violations().map(\.field)
        #expect(fields == ["messages[0].content", "messages[1].content[0].image_url.url", "messages[1].content[1].image_url.url",
                           "messages[1].content[2].video_url.url", "messages[1].content[3].text", "stop", "stop[6]",
                           "tools[0].function.name", "max_completion_tokens"])
        #expect(ChatRequest(messages: []).violations().map(\.field) == ["messages"])
        #expect(ChatRequest(model: "kimi-k2.5", messages: [.user([.text("x")])], thinking: Thinking(.enabled, keep: "all"))
            .violations().map(\.field) == ["thinking.keep"])
    }
}

@Suite("SHA-256 and text tokens")
struct HashAndTextTests {
    @Test func sha256Vectors() throws {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let million = [UInt8](repeating: 0x61, count: 1_000_000)
        #expect(SHA256.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Streamed in uneven pieces: the same digest.
        var hasher = SHA256()
        var rest = million[...]
        var step = 1
        while !rest.isEmpty {
            hasher.update(rest.prefix(step))
            rest = rest.dropFirst(step)
            step = step * 3 + 1
        }
        #expect(hasher.finalize().map { String(format: "%02x", $0) }.joined() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func textTokens() {
        #expect(TextTokens.count("") == 0)
        #expect(TextTokens.count("Describe the image.") == 5)  // describ·e, the, image, "."
        #expect(TextTokens.count("internationalization") == 4)  // 20 letters: 4 pieces
        #expect(TextTokens.count("2026") == 2)
        #expect(TextTokens.count("描述这张图片") == 4)  // 6 Han characters
        #expect(TextTokens.count("a\n\n\nb") == 3)
        #expect(TextTokens.count("🙂") == 2)
    }
}

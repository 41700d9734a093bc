import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What a streamed chat (`"stream": true`, server-sent events) yields as it arrives: reasoning text
/// and answer text kept apart, then the assembled answer with its finish reason and usage.
public enum ChatStreamEvent: Sendable, Hashable {
    case reasoning(String)
    case content(String)
    case finished(ChatResponse)
}

/// One `data:` event of a streamed chat: `choices[].delta` carries the new text; the last event
/// carries `finish_reason` and the usage (inside the choice, as Moonshot sends it, or at the top, as
/// OpenAI's `stream_options.include_usage` does).
struct ChatStreamChunk: Decodable {
    struct Delta: Decodable {
        var content: String?
        var reasoningContent: String?
        private enum CodingKeys: String, CodingKey { case content, reasoningContent = "reasoning_content" }
    }

    struct Choice: Decodable {
        var index: Int?
        var delta: Delta?
        var finishReason: String?
        var usage: ChatResponse.Usage?
        private enum CodingKeys: String, CodingKey { case index, delta, usage, finishReason = "finish_reason" }
    }

    var id: String?
    var model: String?
    var choices: [Choice]?
    var usage: ChatResponse.Usage?
}

/// Splits a byte stream into server-sent-event `data:` payloads (lines joined per event; comments
/// and other fields ignored), as the SSE format defines them.
struct ServerSentEvents {
    /// The longest event (its lines together) held before the stream is refused: a server that
    /// never ends a line must not grow memory without bound.
    let maxEventBytes: Int
    private var line: [UInt8] = []
    private var data: [String] = []
    private var held = 0

    init(maxEventBytes: Int = 64 << 20) { self.maxEventBytes = maxEventBytes }

    /// Feeds bytes; returns the payloads of the events they complete, `nil` when an event grows
    /// past ``maxEventBytes``.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [String]? {
        var events: [String] = []
        for byte in bytes {
            if byte != 0x0A {
                line.append(byte)
                held += 1
                if held > maxEventBytes { return nil }
                continue
            }
            if line.last == 0x0D { line.removeLast() }
            let text = String(decoding: line, as: UTF8.self)
            line.removeAll(keepingCapacity: true)
            if text.isEmpty {
                if !data.isEmpty { events.append(data.joined(separator: "\n")) }
                data.removeAll()
                held = 0
            } else if text.hasPrefix("data:") {
                var value = text.dropFirst(5)
                if value.first == " " { value = value.dropFirst() }
                data.append(String(value))
            }
        }
        return events
    }

    /// The event still open when the stream ended without a blank line.
    mutating func finish() -> [String]? {
        feed([0x0A, 0x0A])
    }
}

extension MoonshotClient {
    /// `POST /v1/chat/completions` with `"stream": true` (set here), validated first; see
    /// ``chatStream(bodyFile:)``.
    public func chatStream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        var request = request
        request.stream = true
        do throws(APIError) {
            let body = try chatBody(request)
            return stream(body: { .bytes(ByteBuffer(bytes: body)) })
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
    }

    /// Posts a request body already written to a file whose `"stream"` is `true`, and yields the
    /// answer as it arrives. Cancelling the consuming task (or dropping the sequence) closes the
    /// connection. A 429 before any event is waited out like any call; nothing is retried once the
    /// answer has begun.
    public func chatStream(bodyFile path: String) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        do throws(APIError) {
            let size = try chatBodySize(file: path)
            return stream(body: { .stream(FileChunks(parts: [.file(path, bytes: size)]), length: .known(size)) })
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
    }

    private func stream(body: @escaping @Sendable () -> HTTPClientRequest.Body) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do throws(APIError) {
                    try await self.readStream(body: body, into: continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func readStream(body: @escaping @Sendable () -> HTTPClientRequest.Body,
                            into continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation) async throws(APIError) {
        let (response, endpoint) = try await send(.POST, "chat/completions", body: body, accept: "text/event-stream",
                                                  timeout: timeouts.upload)
        do throws(APIError) {
            try await readEvents(response, endpoint: endpoint, into: continuation)
            await finishStream()
        } catch {
            await finishStream()
            throw error
        }
    }

    private func readEvents(_ response: HTTPClientResponse, endpoint: String,
                            into continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation) async throws(APIError) {
        var assembler = ChatStreamAssembler(endpoint: endpoint, maxEventBytes: timeouts.maxResponseBytes)
        do {
            for try await buffer in response.body {
                for event in try assembler.feed(buffer.readableBytesView) { continuation.yield(event) }
                if assembler.finished || Task.isCancelled { break }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.transport, message: "the stream broke off: \(error)", endpoint: endpoint)
        }
        if Task.isCancelled { throw APIError(.transport, message: "cancelled", endpoint: endpoint) }
        for event in try assembler.finish() { continuation.yield(event) }
    }
}

/// A streamed chat's bytes → events: splits them into SSE payloads, decodes each chunk (an `error`
/// body inside the stream is thrown), yields the new text, and assembles the whole answer at
/// `[DONE]` (or at the end of a stream whose last chunk gave a finish reason).
package struct ChatStreamAssembler {
    private var events: ServerSentEvents
    private let endpoint: String
    private var id = "", model: String?, content = "", reasoning = "", finishReason: String?, usage: ChatResponse.Usage?
    package private(set) var finished = false

    package init(endpoint: String, maxEventBytes: Int) {
        self.endpoint = endpoint
        events = ServerSentEvents(maxEventBytes: maxEventBytes)
    }

    /// The events the bytes complete (nothing after `[DONE]`).
    package mutating func feed(_ bytes: some Sequence<UInt8>) throws(APIError) -> [ChatStreamEvent] {
        guard !finished else { return [] }
        guard let payloads = events.feed(bytes) else {
            throw APIError(.invalidResponse, message: "an event longer than \(events.maxEventBytes) bytes", endpoint: endpoint)
        }
        var out: [ChatStreamEvent] = []
        for payload in payloads where !finished { try handle(payload, into: &out) }
        return out
    }

    /// The stream ended: the event still open, then the assembled answer (or why there is none).
    package mutating func finish() throws(APIError) -> [ChatStreamEvent] {
        var out: [ChatStreamEvent] = []
        if !finished { for payload in events.finish() ?? [] where !finished { try handle(payload, into: &out) } }
        guard finished || finishReason != nil else {
            throw APIError(.invalidResponse, message: "the stream ended before its last event", endpoint: endpoint)
        }
        let message = ChatMessage(role: .assistant, content: .text(content), reasoningContent: reasoning.isEmpty ? nil : reasoning)
        out.append(.finished(ChatResponse(id: id, model: model, choices: [.init(index: 0, message: message, finishReason: finishReason)],
                                          usage: usage)))
        return out
    }

    private mutating func handle(_ payload: String, into out: inout [ChatStreamEvent]) throws(APIError) {
        guard payload != "[DONE]" else {
            finished = true
            return
        }
        let data = Data(payload.utf8)
        if let error = try? JSONDecoder().decode(ErrorBody.self, from: data) {
            throw APIError(.http, status: 200, type: error.error.type, message: error.error.message ?? "an error inside the stream",
                           endpoint: endpoint)
        }
        guard let chunk = try? JSONDecoder().decode(ChatStreamChunk.self, from: data) else {
            throw APIError(.invalidResponse, message: "an event that is not a chat chunk: \(payload.prefix(120))", endpoint: endpoint)
        }
        id = chunk.id ?? id
        model = chunk.model ?? model
        usage = chunk.usage ?? usage
        for choice in chunk.choices ?? [] where (choice.index ?? 0) == 0 {
            if let text = choice.delta?.reasoningContent, !text.isEmpty {
                reasoning += text
                out.append(.reasoning(text))
            }
            if let text = choice.delta?.content, !text.isEmpty {
                content += text
                out.append(.content(text))
            }
            finishReason = choice.finishReason ?? finishReason
            usage = choice.usage ?? usage
        }
    }
}

import Foundation
import KimiAPI
import MediaCodecs
import MediaCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A stand-in for the Moonshot API on 127.0.0.1, for tests: it enforces the documented contract
/// (kimi-api-spec.md §4) — the bearer key, the JSON shapes, the request-body cap, the Files API's
/// multipart rules and quotas, the K2.5/K2.6 parameter rules — and answers with the documented error
/// bodies. Its token counts come from kimi-media's own offline arithmetic (``RequestTokens``), so
/// round trips can be asserted exactly. Faults can be queued: statuses with rate-limit headers,
/// slow answers, dropped connections, an `error` body inside a 200.
///
/// Where the real API's behaviour is undocumented the stand-in chooses, and says so: an oversized
/// body is answered 400 `invalid_request_error` (no 413 is documented).
public final class MoonshotStandIn: Sendable {
    public struct Options: Sendable {
        public var apiKey: String
        public var maxBodyBytes: Int
        public var maxUploadBytes: Int
        public var maxFiles: Int
        public var maxTotalBytes: Int
        /// The account's rate-limit tier, enforced as the real API was seen to: a 429
        /// `rate_limit_reached_error` with **no** `Retry-After` or `X-RateLimit-*` header, the wait only
        /// in the message ("request reached max request: 3, please try again after 1 seconds").
        public var tier: Tier?
        /// What `GET /v1/users/me/balance` reports as available.
        public var balance: Double = 10
        public init(apiKey: String = "sk-stand-in-0123456789abcdef", maxBodyBytes: Int = 100_000_000, maxUploadBytes: Int = 100_000_000,
                    maxFiles: Int = 1000, maxTotalBytes: Int = 10_000_000_000, tier: Tier? = nil, balance: Double = 10) {
            self.apiKey = apiKey
            self.maxBodyBytes = maxBodyBytes
            self.maxUploadBytes = maxUploadBytes
            self.maxFiles = maxFiles
            self.maxTotalBytes = maxTotalBytes
            self.tier = tier
            self.balance = balance
        }
    }

    /// Requests in flight at once and started per window (60 s on the real API; tests scale it).
    public struct Tier: Sendable {
        public var concurrency: Int
        public var requestsPerWindow: Int
        public var window: Double
        public init(concurrency: Int = 1, requestsPerWindow: Int = 3, window: Double = 60) {
            self.concurrency = concurrency
            self.requestsPerWindow = requestsPerWindow
            self.window = window
        }
    }

    public enum Fault: Sendable {
        /// Answer with this status and error type, and these headers (e.g. `Retry-After`).
        case status(Int, type: String, headers: [String: String] = [:])
        /// Answer normally, this many seconds late.
        case delay(Double)
        /// Close the connection without answering.
        case drop
        /// HTTP 200 whose body is an `error` object.
        case errorIn200
        /// A 429 as the real API sends it: no rate-limit header, the wait in the message only.
        case rateLimitedInMessage(wait: Double)
    }

    struct StoredFile {
        var object: FileObject
        var content: [UInt8]
    }

    struct State {
        var files: [String: StoredFile] = [:]
        var order: [String] = []
        var faults: [Fault] = []
        var log: [String] = []
        var nextID = 1
        var inFlight = 0
        var starts: [Double] = []
        var rateLimited = 0
    }

    public let options: Options
    public let port: Int
    private let channel: any Channel
    private let state = NIOLockedValueBox(State())

    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// Every request seen, as `METHOD /path`.
    public var requests: [String] { state.withLockedValue { $0.log } }
    public var fileCount: Int { state.withLockedValue { $0.files.count } }
    /// Requests answered 429 by the tier.
    public var rateLimitedCount: Int { state.withLockedValue { $0.rateLimited } }

    public static func start(_ options: Options = Options()) async throws -> MoonshotStandIn {
        let holder = NIOLockedValueBox<MoonshotStandIn?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(Handler(server: { holder.withLockedValue { $0 }! }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = MoonshotStandIn(options: options, channel: channel, port: channel.localAddress?.port ?? 0)
        holder.withLockedValue { $0 = server }
        return server
    }

    private init(options: Options, channel: any Channel, port: Int) {
        self.options = options
        self.channel = channel
        self.port = port
    }

    public func stop() async { try? await channel.close() }

    /// Queues `fault` for the next `times` requests.
    public func enqueue(_ fault: Fault, times: Int = 1) {
        state.withLockedValue { $0.faults += Array(repeating: fault, count: times) }
    }

    // MARK: Answers

    struct Answer {
        var status: Int
        var body: [UInt8]
        var headers: [String: String] = [:]
        var delay: Double = 0
        var drop = false
        /// Holds one of the tier's concurrent slots until it is written.
        var holdsSlot = false
    }

    /// The tier's verdict on a request about to be answered: a header-less 429, or a slot taken.
    func admit() -> Answer? {
        guard let tier = options.tier else { return nil }
        let now = ProcessInfo.processInfo.systemUptime
        return state.withLockedValue { s -> Answer? in
            s.starts.removeAll { now - $0 >= tier.window }
            let message: String
            if s.inFlight >= tier.concurrency {
                let wait = tier.window / Double(tier.requestsPerWindow)
                message = "request reached organization max concurrency: \(tier.concurrency), please try again after \(String(format: "%.3f", wait)) seconds"
            } else if s.starts.count >= tier.requestsPerWindow {
                let wait = max(0.001, s.starts[0] + tier.window - now)
                message = "request reached max request: \(tier.requestsPerWindow), please try again after \(String(format: "%.3f", wait)) seconds"
            } else {
                s.starts.append(now)
                s.inFlight += 1
                return nil
            }
            s.rateLimited += 1
            return Self.error(429, "rate_limit_reached_error", message)  // no Retry-After, no X-RateLimit-*
        }
    }

    /// A request that held a tier slot has been answered.
    func release() { state.withLockedValue { $0.inFlight -= 1 } }

    static func json(_ status: Int, _ value: some Encodable) -> Answer {
        let encoder = JSONEncoder.canonical()
        return Answer(status: status, body: Array((try? encoder.encode(value)) ?? Data()))
    }

    static func error(_ status: Int, _ type: String, _ message: String) -> Answer {
        json(status, ErrorBody(type: type, message: message))
    }

    func answer(method: String, uri: String, headers: HTTPHeaders, body: [UInt8], tooLarge: Bool) -> Answer {
        let path = uri.split(separator: "?").first.map(String.init) ?? uri
        let fault: Fault? = state.withLockedValue { s in
            s.log.append("\(method) \(path)")
            return s.faults.isEmpty ? nil : s.faults.removeFirst()
        }
        if fault == nil, let refused = admit() { return refused }
        var answer: Answer
        switch fault {
        case .status(let status, let type, let extra)?:
            answer = Self.error(status, type, "stand-in fault \(status)")
            answer.headers = extra
            return answer
        case .drop?:
            return Answer(status: 0, body: [], drop: true)
        case .errorIn200?:
            return Self.error(200, "server_error", "stand-in: an error inside a 200")
        case .rateLimitedInMessage(let wait)?:
            return Self.error(429, "rate_limit_reached_error",
                              "request reached max request: 3, please try again after \(String(format: "%.3f", wait)) seconds")
        case .delay(let seconds)?:
            answer = route(method: method, path: path, headers: headers, body: body, tooLarge: tooLarge)
            answer.delay = seconds
            return answer
        case nil:
            answer = route(method: method, path: path, headers: headers, body: body, tooLarge: tooLarge)
            answer.holdsSlot = options.tier != nil
            return answer
        }
    }

    func route(method: String, path: String, headers: HTTPHeaders, body: [UInt8], tooLarge: Bool) -> Answer {
        guard headers.first(name: "authorization") == "Bearer \(options.apiKey)" else {
            return Self.error(401, "invalid_authentication_error", "Invalid Authentication")
        }
        if tooLarge {
            return Self.error(400, "invalid_request_error", "Invalid request: the request body exceeds \(options.maxBodyBytes) bytes")
        }
        let parts = path.split(separator: "/").map(String.init)  // ["v1", ...]
        guard parts.first == "v1" else { return Self.error(404, "resource_not_found_error", "not found: \(path)") }
        switch (method, Array(parts.dropFirst())) {
        case ("POST", ["tokenizers", "estimate-token-count"]): return estimate(body)
        case ("POST", ["chat", "completions"]): return chat(body)
        case ("POST", ["files"]): return upload(headers: headers, body: body)
        case ("GET", ["models"]): return Self.json(200, ModelList(data: Self.catalogue))
        case ("GET", ["users", "me", "balance"]):
            let money = options.balance
            return Self.json(200, BalanceResponse(balance: Balance(availableBalance: money, voucherBalance: 0, cashBalance: money)))
        case ("GET", ["files"]):
            let files = state.withLockedValue { s in s.order.compactMap { s.files[$0]?.object } }
            return Self.json(200, FileListBody(object: "list", data: files))
        case ("GET", let p) where p.count == 2 && p[0] == "files":
            guard let file = state.withLockedValue({ $0.files[p[1]]?.object }) else { return Self.error(404, "resource_not_found_error", "file not found") }
            return Self.json(200, file)
        case ("DELETE", let p) where p.count == 2 && p[0] == "files":
            let removed = state.withLockedValue { s -> Bool in
                s.order.removeAll { $0 == p[1] }
                return s.files.removeValue(forKey: p[1]) != nil
            }
            guard removed else { return Self.error(404, "resource_not_found_error", "file not found") }
            return Self.json(200, DeletionBody(id: p[1], object: "file", deleted: true))
        default:
            return Self.error(404, "resource_not_found_error", "not found: \(method) \(path)")
        }
    }

    struct Refusal: Error { var message: String }

    struct FileListBody: Encodable { var object: String; var data: [FileObject] }
    struct DeletionBody: Encodable { var id: String; var object: String; var deleted: Bool }

    /// What `GET /v1/models` lists (the shape of kimi-api-spec.md §4.6). `kimi-k2.5` is not among
    /// them: it was retired (a real 404 "Not found the model kimi-k2.5 or Permission denied").
    static let catalogue: [ModelInfo] = [
        ModelInfo(id: "kimi-k2.6", contextLength: 262_144, supportsImageIn: true, supportsVideoIn: true, supportsReasoning: true),
        ModelInfo(id: "kimi-k2-turbo-preview", contextLength: 262_144, supportsImageIn: false, supportsVideoIn: false, supportsReasoning: false),
        ModelInfo(id: "kimi-k2-0905-preview", contextLength: 262_144, supportsImageIn: false, supportsVideoIn: false, supportsReasoning: false),
        ModelInfo(id: "moonshot-v1-8k", contextLength: 8_192, supportsImageIn: false, supportsVideoIn: false, supportsReasoning: false),
        ModelInfo(id: "moonshot-v1-32k", contextLength: 32_768, supportsImageIn: false, supportsVideoIn: false, supportsReasoning: false),
        ModelInfo(id: "moonshot-v1-128k", contextLength: 131_072, supportsImageIn: false, supportsVideoIn: false, supportsReasoning: false),
        ModelInfo(id: "moonshot-v1-8k-vision-preview", contextLength: 8_192, supportsImageIn: true, supportsVideoIn: false,
                  supportsReasoning: false),
    ]
    static let models = Set(catalogue.map(\.id))

    /// Prompt tokens of `messages`: ``RequestTokens`` with each media part's bytes probed for its size.
    func tokens(_ messages: [ChatMessage]) -> Result<Int, Refusal> {
        var failure: String?
        let count = RequestTokens.count(messages) { part in
            let url: String
            switch part {
            case .imageURL(let u), .videoURL(let u): url = u
            case .text: return 0
            }
            guard let bytes = content(of: url) else {
                failure = "Invalid request: cannot read the media at \(url.prefix(40))"
                return nil
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("stand-in-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            guard (try? Data(bytes).write(to: file)) != nil, let info = try? MediaProber.probe(path: file.path),
                  let estimate = try? TokenEstimate.of(info) else {
                failure = "Invalid request: unsupported media"
                return nil
            }
            return estimate.tokens
        }
        if let failure { return .failure(Refusal(message: failure)) }
        return .success(count)
    }

    func content(of url: String) -> [UInt8]? {
        if url.hasPrefix("ms://") { return state.withLockedValue { $0.files[String(url.dropFirst(5))]?.content } }
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else { return nil }
        return Data(base64Encoded: String(url[url.index(after: comma)...])).map(Array.init)
    }

    func estimate(_ body: [UInt8]) -> Answer {
        guard let request = try? JSONDecoder().decode(EstimateRequest.self, from: Data(body)) else {
            return Self.error(400, "invalid_request_error", "Invalid request: expected {\"model\", \"messages\"}")
        }
        guard Self.models.contains(request.model) else {
            return Self.error(404, "resource_not_found_error", "Not found the model \(request.model) or Permission denied")
        }
        guard !request.messages.isEmpty, request.messages.allSatisfy({ !($0.content?.isEmpty ?? true) }) else {
            return Self.error(400, "invalid_request_error", "Invalid request: message content must not be empty")
        }
        switch tokens(request.messages) {
        case .success(let count): return Self.json(200, EstimateResponse(totalTokens: count))
        case .failure(let refusal): return Self.error(400, "invalid_request_error", refusal.message)
        }
    }

    struct Completion: Encodable {
        struct Choice: Encodable {
            var index: Int
            var message: ChatMessage
            var finish_reason: String
        }
        struct Usage: Encodable {
            var prompt_tokens: Int
            var completion_tokens: Int
            var total_tokens: Int
        }
        var id: String
        var object = "chat.completion"
        var model: String
        var choices: [Choice]
        var usage: Usage
    }

    func chat(_ body: [UInt8]) -> Answer {
        let request: ChatRequest
        do { request = try JSONDecoder().decode(ChatRequest.self, from: Data(body)) } catch {
            return Self.error(400, "invalid_request_error", "Invalid request: \(error)")
        }
        guard Self.models.contains(request.model) else {
            return Self.error(404, "resource_not_found_error", "Not found the model \(request.model) or Permission denied")
        }
        if let violation = request.violations().first {
            if violation.field.hasSuffix("reasoning_content") {
                let index = violation.field.dropFirst("messages[".count).prefix { $0 != "]" }
                return Self.error(400, "invalid_request_error",
                                  "thinking is enabled but reasoning_content is missing in assistant tool call message at index \(index)")
            }
            return Self.error(400, "invalid_request_error", "Invalid request: \(violation.field) \(violation.message)")
        }
        switch tokens(request.messages) {
        case .failure(let refusal): return Self.error(400, "invalid_request_error", refusal.message)
        case .success(let prompt):
            let media = request.messages.flatMap { m -> [ContentPart] in
                if case .parts(let parts)? = m.content { return parts }
                return []
            }
            let images = media.filter { if case .imageURL = $0 { true } else { false } }.count
            let videos = media.filter { if case .videoURL = $0 { true } else { false } }.count
            // The model thinks first (reasoning_content), then answers; a budget too small for both
            // ends inside the thinking with no answer text, as third parties saw K2.6 do.
            let reasoning = "The user sent \(images + videos) item(s); describe them."
            var text = "stand-in answer: \(images) image(s), \(videos) video(s), \(prompt) prompt tokens"
            var finish = "stop", completion = 12
            if let budget = request.maxCompletionTokens, budget < completion {
                (text, finish, completion) = ("", "length", budget)
            }
            if request.stream == true { return Self.events(model: request.model, reasoning: reasoning, text: text, finish: finish,
                                                           prompt: prompt, completion: completion) }
            let reply = ChatMessage(role: .assistant, content: .text(text), reasoningContent: reasoning)
            return Self.json(200, Completion(id: "chatcmpl-stand-in", model: request.model,
                                             choices: [.init(index: 0, message: reply, finish_reason: finish)],
                                             usage: .init(prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion)))
        }
    }

    /// A streamed answer as server-sent events (`text/event-stream`): a role event, the reasoning
    /// and the text in pieces (`choices[0].delta`), a last event with `finish_reason` and the usage
    /// inside the choice (where Moonshot puts it), then `data: [DONE]`.
    static func events(model: String, reasoning: String, text: String, finish: String, prompt: Int, completion: Int) -> Answer {
        func event(_ delta: [String: String], finish: String? = nil, usage: Bool = false) -> String {
            var choice: [String: Any] = ["index": 0, "delta": delta]
            choice["finish_reason"] = finish ?? NSNull()
            if usage {
                choice["usage"] = ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion]
            }
            let chunk: [String: Any] = ["id": "chatcmpl-stand-in", "object": "chat.completion.chunk", "created": 0, "model": model,
                                        "choices": [choice]]
            let data = (try? JSONSerialization.data(withJSONObject: chunk, options: [.sortedKeys])) ?? Data()
            return "data: " + String(decoding: data, as: UTF8.self) + "\n\n"
        }
        func pieces(_ text: String) -> [String] {
            let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            return words.enumerated().map { i, word in i == words.count - 1 ? word : word + " " }.filter { !$0.isEmpty }
        }
        var body = event(["role": "assistant"])
        for piece in pieces(reasoning) { body += event(["reasoning_content": piece]) }
        for piece in pieces(text) { body += event(["content": piece]) }
        body += event([:], finish: finish, usage: true) + "data: [DONE]\n\n"
        return Answer(status: 200, body: Array(body.utf8), headers: ["Content-Type": "text/event-stream"])
    }

    func upload(headers: HTTPHeaders, body: [UInt8]) -> Answer {
        guard let type = headers.first(name: "content-type"), type.hasPrefix("multipart/form-data"),
              let boundary = type.components(separatedBy: "boundary=").last?.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")),
              !boundary.isEmpty else {
            return Self.error(400, "invalid_request_error", "Invalid request: expected multipart/form-data")
        }
        let fields = Multipart.parse(body, boundary: boundary)
        guard let file = fields.first(where: { $0.name == "file" }), let filename = file.filename else {
            return Self.error(400, "invalid_request_error", "Invalid request: no file part")
        }
        let purpose = fields.first { $0.name == "purpose" }.map { String(decoding: $0.content, as: UTF8.self) } ?? ""
        guard ["file-extract", "image", "video", "batch"].contains(purpose) else {
            return Self.error(400, "invalid_request_error", "Invalid purpose: '\(purpose)'")
        }
        guard !file.content.isEmpty else {
            return Self.error(400, "invalid_request_error", "File size is zero, please confirm and re-upload the file")
        }
        guard file.content.count <= options.maxUploadBytes else {
            return Self.error(400, "invalid_request_error", "File size is too large, max file size is 100MB, please confirm and re-upload the file")
        }
        let outcome = state.withLockedValue { s -> Result<FileObject, Refusal> in
            guard s.files.count < options.maxFiles else {
                return .failure(Refusal(message: "The number of files you have uploaded exceeded the max file count \(options.maxFiles), please delete previous uploaded files"))
            }
            let total = s.files.values.reduce(0) { $0 + $1.content.count }
            guard total + file.content.count <= options.maxTotalBytes else {
                return .failure(Refusal(message: "The size of files you have uploaded exceeded the max total size \(options.maxTotalBytes), please delete previous uploaded files"))
            }
            let id = String(format: "cstandin%012d", s.nextID)
            s.nextID += 1
            let object = FileObject(id: id, bytes: Int64(file.content.count), createdAt: Int64(Date().timeIntervalSince1970),
                                    filename: filename, purpose: purpose, status: "ok")
            s.files[id] = StoredFile(object: object, content: file.content)
            s.order.append(id)
            return .success(object)
        }
        switch outcome {
        case .success(let object): return Self.json(200, object)
        case .failure(let refusal): return Self.error(400, "invalid_request_error", refusal.message)
        }
    }

    // MARK: HTTP

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: () -> MoonshotStandIn
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var tooLarge = false

        init(server: @escaping () -> MoonshotStandIn) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body = []
                tooLarge = false
            case .body(var chunk):
                guard !tooLarge else { return }
                if body.count + chunk.readableBytes > server().options.maxBodyBytes {
                    tooLarge = true
                    body = []
                } else {
                    body += chunk.readBytes(length: chunk.readableBytes) ?? []
                }
            case .end:
                guard let head else { return }
                let server = server()
                let answer = server.answer(method: head.method.rawValue, uri: head.uri, headers: head.headers, body: body, tooLarge: tooLarge)
                body = []
                if answer.drop {
                    context.close(promise: nil)
                    return
                }
                let respond = { [self] in
                    // The request is done once it is answered: its slot frees before the bytes go out
                    // (as a server's would), so a client that read the answer can start the next.
                    if answer.holdsSlot { server.release() }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: answer.headers["Content-Type"] ?? "application/json")
                    headers.add(name: "Content-Length", value: "\(answer.body.count)")
                    headers.add(name: "Connection", value: "close")
                    for (name, value) in answer.headers where name != "Content-Type" { headers.add(name: name, value: value) }
                    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status),
                                                                          headers: headers))), promise: nil)
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: answer.body)))), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
                }
                if answer.delay > 0 {
                    context.eventLoop.scheduleTask(in: .milliseconds(Int64(answer.delay * 1000))) { respond() }
                } else {
                    respond()
                }
            }
        }
    }
}

/// A minimal multipart/form-data reader for the stand-in.
enum Multipart {
    struct Field {
        var name: String
        var filename: String?
        var content: [UInt8]
    }

    static func parse(_ body: [UInt8], boundary: String) -> [Field] {
        let delimiter = Array("--\(boundary)".utf8)
        var fields: [Field] = []
        var starts: [Int] = []
        var i = 0
        while i + delimiter.count <= body.count {
            if body[i] == delimiter[0], body[i..<i + delimiter.count].elementsEqual(delimiter) {
                starts.append(i)
                i += delimiter.count
            } else {
                i += 1
            }
        }
        for (n, start) in starts.enumerated().dropLast() {
            var partStart = start + delimiter.count
            if partStart + 1 < body.count, body[partStart] == 13, body[partStart + 1] == 10 { partStart += 2 }
            var partEnd = starts[n + 1]
            if partEnd >= 2, body[partEnd - 2] == 13, body[partEnd - 1] == 10 { partEnd -= 2 }
            guard partStart < partEnd else { continue }
            let part = Array(body[partStart..<partEnd])
            guard let split = (0..<max(0, part.count - 3)).first(where: { part[$0] == 13 && part[$0 + 1] == 10 && part[$0 + 2] == 13 && part[$0 + 3] == 10 })
            else { continue }
            let headerText = String(decoding: part[..<split], as: UTF8.self)
            func attribute(_ key: String) -> String? {
                guard let range = headerText.range(of: "\(key)=\"") else { return nil }
                return String(headerText[range.upperBound...].prefix { $0 != "\"" })
            }
            guard let name = attribute("name") else { continue }
            fields.append(Field(name: name, filename: attribute("filename"), content: Array(part[(split + 4)...])))
        }
        return fields
    }
}

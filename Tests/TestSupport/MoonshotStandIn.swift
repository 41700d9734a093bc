import Foundation
import MediaCore
import MediaCodecs
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A stand-in for the Moonshot API on 127.0.0.1, for tests, written from the documented contract
/// (docs/kimi-api.md §4, §8) and **independent of kimi-media's client**: it parses
/// requests with its own code (``StandInRequest``), counts tokens with its own transcription of the
/// spec (``StandInTokens``) and writes its answers as plain JSON dictionaries, so a client that
/// misreads the contract meets a refusal or a different count here. It imports no `KimiAPI` type.
///
/// It enforces the bearer key, the JSON shapes, the request-body cap, the Files API's multipart
/// rules and quotas, the K2.5/K2.6 parameter rules and the model list, and answers with the
/// documented shapes: error bodies, estimate, file objects, models, balance, chat completions with
/// `reasoning_content` and usage, server-sent event streams, `finish_reason: length` under a small
/// output budget. A ``Tier`` makes it behave as the entry tier was seen to: 1 request at a time,
/// N a window, 429s with no rate-limit header and the wait only in the message. ``Fault``s can be
/// queued: statuses, an overloaded engine, numeric error codes, slow answers, dropped connections,
/// answers lost after the work was done, truncated bodies.
///
/// What the real API leaves undocumented the stand-in chooses, and says so: an oversized body is
/// answered 400 `invalid_request_error` (no 413 is documented); the estimate endpoint counts the
/// generation prompt as chat does; text is counted by an approximate tokenizer (``StandInTokens``).
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
        /// Do the work (store the upload, count the tokens), then close the connection without
        /// answering: the answer is lost although the request arrived.
        case answerLost
        /// Do the work, then send the head (with the full `Content-Length`) and half of the body, and close.
        case truncatedBody
        /// HTTP 200 whose body is an `error` object.
        case errorIn200
        /// A 429 as the real API sends it: no rate-limit header, the wait in the message only.
        case rateLimitedInMessage(wait: Double)
        /// A 429 `engine_overloaded_error` with no header and no wait (the type the real API sends
        /// under load; it is not a 503).
        case overloaded
        /// An error whose `code` is a number (`{"error": {"code": 1301, …}}`), with this status and type.
        case numericCode(Int, type: String)
        /// The account is out of money: 429 `exceeded_current_quota_error`, as several clients observed.
        case quotaExhausted
        /// An upload cut short on its way in: the server stores the first half of the file (as the
        /// real API stored a link's 253 bytes when the client declared that length and sent more),
        /// then answers 500.
        case storedPartly
    }

    struct StoredFile {
        var id: String
        var filename: String
        var purpose: String
        var createdAt: Int
        var content: [UInt8]
        /// The documented FileObject (C20; `status` "ready" as the docs' example).
        var object: [String: Any] {
            ["id": id, "object": "file", "bytes": content.count, "created_at": createdAt, "filename": filename, "purpose": purpose,
             "status": "ready", "status_details": ""]
        }
    }

    struct State {
        var files: [String: StoredFile] = [:]
        var order: [String] = []
        /// Queued faults, each for any request or only for one `METHOD /path`.
        var faults: [(fault: Fault, request: String?)] = []
        var log: [String] = []
        var bodies: [String: [UInt8]] = [:]
        var nextID = 1
        var inFlight = 0
        var starts: [Double] = []
        var rateLimited = 0
        /// Every medium read in a chat or estimate body, as its reader saw it (``received``).
        var received: [Received] = []
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
    /// Every medium the stand-in read in a chat or estimate request: `kind`, `format`, `width`,
    /// `height` (stored), `bytes`, `via` (`inline` or `upload`). Also `GET /stand-in/received` (no key;
    /// `DELETE` empties it), for tests of other processes (the gateway's).
    public var received: [[String: Any]] { state.withLockedValue { $0.received }.map(\.json) }

    /// The last body received on `path` (e.g. `/v1/chat/completions`), as JSON.
    public func lastBody(_ path: String) -> [String: Any]? {
        state.withLockedValue { $0.bodies[path] }.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    public static func start(_ options: Options = Options()) async throws -> MoonshotStandIn {
        let holder = NIOLockedValueBox<MoonshotStandIn?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
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

    /// Queues `fault` for the next `times` requests, or only for the next `times` requests that are
    /// `request` (`"POST /v1/files"`): the others are answered normally meanwhile.
    public func enqueue(_ fault: Fault, times: Int = 1, on request: String? = nil) {
        state.withLockedValue { $0.faults += Array(repeating: (fault, request), count: times) }
    }

    /// The bytes of a stored file.
    public func storedContent(id: String) -> [UInt8]? { state.withLockedValue { $0.files[id]?.content } }

    // MARK: Answers

    struct Answer {
        var status: Int
        var body: [UInt8]
        var headers: [String: String] = [:]
        var delay: Double = 0
        var drop = false
        var truncated = false
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

    static func json(_ status: Int, _ value: Any) -> Answer {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Answer(status: status, body: Array(data))
    }

    /// The documented error body: `{"error": {"type", "message"}}` (errors page, D6).
    static func error(_ status: Int, _ type: String, _ message: String, code: Any? = nil) -> Answer {
        var detail: [String: Any] = ["type": type, "message": message]
        if let code { detail["code"] = code }
        return json(status, ["error": detail])
    }

    static func refused(_ refusal: StandInRequest.Refusal) -> Answer { error(refusal.status, refusal.type, refusal.message) }

    func answer(method: String, uri: String, headers: HTTPHeaders, body: [UInt8], tooLarge: Bool) -> Answer {
        let path = uri.split(separator: "?").first.map(String.init) ?? uri
        let fault: Fault? = state.withLockedValue { s in
            s.log.append("\(method) \(path)")
            if method == "POST", !tooLarge, !path.hasSuffix("/files") { s.bodies[path] = body }
            guard let next = s.faults.firstIndex(where: { $0.request == nil || $0.request == "\(method) \(path)" }) else { return nil }
            return s.faults.remove(at: next).fault
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
        case .overloaded?:
            return Self.error(429, "engine_overloaded_error", "The engine is currently overloaded, please try again later")
        case .numericCode(let status, let type)?:
            return Self.error(status, type, "stand-in fault with a numeric code", code: 1301)
        case .quotaExhausted?:
            return Self.error(429, "exceeded_current_quota_error",
                              "Your account is suspended due to insufficient balance, please recharge your account or check your plan and billing details")
        case .delay(let seconds)?:
            answer = route(method: method, path: path, headers: headers, body: body, tooLarge: tooLarge)
            answer.delay = seconds
            return answer
        case .answerLost?:
            answer = route(method: method, path: path, headers: headers, body: body, tooLarge: tooLarge)
            answer.drop = true
            return answer
        case .storedPartly?:
            _ = upload(headers: headers, body: body, keepingHalf: true)
            return Self.error(500, "server_error", "stand-in: the upload was cut")
        case .truncatedBody?:
            answer = route(method: method, path: path, headers: headers, body: body, tooLarge: tooLarge)
            answer.truncated = true
            return answer
        case nil:
            answer = route(method: method, path: path, headers: headers, body: body, tooLarge: tooLarge)
            answer.holdsSlot = options.tier != nil
            return answer
        }
    }

    func route(method: String, path: String, headers: HTTPHeaders, body: [UInt8], tooLarge: Bool) -> Answer {
        if path == "/stand-in/received" {
            if method == "DELETE" { state.withLockedValue { $0.received = [] } }
            return Self.json(200, ["data": received])
        }
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
        case ("GET", ["models"]): return Self.json(200, ["object": "list", "data": Self.catalogue])
        case ("GET", ["users", "me", "balance"]):
            // The documented envelope (C20): code 0, data, scode, status.
            let money = options.balance
            return Self.json(200, ["code": 0, "scode": "0x0", "status": true,
                                   "data": ["available_balance": money, "voucher_balance": 0, "cash_balance": money]])
        case ("GET", ["files"]):
            let files = state.withLockedValue { s in s.order.compactMap { s.files[$0]?.object } }
            return Self.json(200, ["object": "list", "data": files])
        case ("GET", let p) where p.count == 2 && p[0] == "files":
            guard let file = state.withLockedValue({ $0.files[p[1]]?.object }) else { return Self.error(404, "resource_not_found_error", "file not found") }
            return Self.json(200, file)
        case ("DELETE", let p) where p.count == 2 && p[0] == "files":
            let removed = state.withLockedValue { s -> Bool in
                s.order.removeAll { $0 == p[1] }
                return s.files.removeValue(forKey: p[1]) != nil
            }
            guard removed else { return Self.error(404, "resource_not_found_error", "file not found") }
            return Self.json(200, ["id": p[1], "object": "file", "deleted": true])
        default:
            return Self.error(404, "resource_not_found_error", "not found: \(method) \(path)")
        }
    }

    /// What `GET /v1/models` lists (the shape of docs/kimi-api.md §4.6). `kimi-k2.5` is not among
    /// them: it was retired (a real 404 "Not found the model kimi-k2.5 or Permission denied").
    static var catalogue: [[String: Any]] { [
        model("kimi-k2.6", 262_144, image: true, video: true, reasoning: true),
        model("kimi-k2-turbo-preview", 262_144),
        model("kimi-k2-0905-preview", 262_144),
        model("moonshot-v1-8k", 8_192),
        model("moonshot-v1-32k", 32_768),
        model("moonshot-v1-128k", 131_072),
        model("moonshot-v1-8k-vision-preview", 8_192, image: true),
    ] }
    static let models = Set(catalogue.compactMap { $0["id"] as? String })

    static func model(_ id: String, _ context: Int, image: Bool = false, video: Bool = false, reasoning: Bool = false) -> [String: Any] {
        ["id": id, "object": "model", "created": 1_767_225_600, "owned_by": "moonshot", "context_length": context,
         "supports_image_in": image, "supports_video_in": video, "supports_reasoning": reasoning]
    }

    /// Prompt tokens of a request (``StandInTokens``): each message's markers, text and media, the
    /// generation prompt; historical `reasoning_content` only with `thinking.keep: "all"` (docs/kimi-api.md §4.4).
    func promptTokens(_ request: StandInRequest) throws(StandInRequest.Refusal) -> Int {
        var total = StandInTokens.generationPrompt
        for message in request.messages {
            total += StandInTokens.message(role: message["role"] as? String ?? "user")
            if let text = message["content"] as? String { total += StandInTokens.text(text) }
            for part in message["content"] as? [[String: Any]] ?? [] {
                switch part["type"] as? String {
                case "text": total += StandInTokens.text(part["text"] as? String ?? "")
                case let type?: total += try mediaTokens(StandInRequest.mediaURL(part[type]) ?? "", video: type == "video_url")
                case nil: break
                }
            }
            if request.keepsReasoning, let reasoning = message["reasoning_content"] as? String { total += StandInTokens.text(reasoning) }
            for call in message["tool_calls"] as? [[String: Any]] ?? [] {
                let function = call["function"] as? [String: Any] ?? [:]
                total += StandInTokens.text(function["name"] as? String ?? "") + StandInTokens.text(function["arguments"] as? String ?? "")
            }
        }
        return total
    }

    /// The tokens of one media URL: its bytes read as the server's own reader would (size, frame
    /// count, rate; the stored orientation, as PIL reads it, docs/kimi-api.md §2.3), counted by ``StandInTokens``.
    func mediaTokens(_ url: String, video: Bool) throws(StandInRequest.Refusal) -> Int {
        guard let bytes = content(of: url) else { throw .invalid("cannot read the media at \(url.prefix(40))") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stand-in-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        guard (try? Data(bytes).write(to: file)) != nil, let info = try? MediaProber.probe(path: file.path) else {
            throw .invalid("the \(video ? "video" : "image") cannot be decoded")
        }
        if !video {
            // The documented image types (the MIME type in the URL is not looked at, docs/kimi-api.md §2.3).
            note(info, bytes: bytes.count, url: url)
            guard ["png", "jpeg", "webp", "gif"].contains(info.format.rawValue) else {
                throw .invalid("unsupported image format \(info.format.rawValue); send png, jpeg, webp or gif")
            }
            return StandInTokens.image(width: info.storedWidth, height: info.storedHeight)
        }
        note(info, bytes: bytes.count, url: url)
        guard let fps = info.frameRate, fps > 0,
              let frames = info.frameCount ?? info.durationSeconds.map({ Int(($0 * fps).rounded()) }), frames > 0 else {
            throw .invalid("the video has no readable frames")
        }
        return StandInTokens.video(frames: frames, fps: fps, width: info.storedWidth, height: info.storedHeight)
    }

    struct Received: Sendable {
        var kind: String, format: String, width: Int, height: Int, bytes: Int, via: String
        var json: [String: Any] { ["kind": kind, "format": format, "width": width, "height": height, "bytes": bytes, "via": via] }
    }

    func note(_ info: MediaInfo, bytes: Int, url: String) {
        let seen = Received(kind: info.kind == .video ? "video" : "image", format: info.format.rawValue, width: info.storedWidth,
                            height: info.storedHeight, bytes: bytes, via: url.hasPrefix("ms://") ? "upload" : "inline")
        state.withLockedValue { $0.received.append(seen) }
    }

    func content(of url: String) -> [UInt8]? {
        if url.hasPrefix("ms://") { return state.withLockedValue { $0.files[String(url.dropFirst(5))]?.content } }
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else { return nil }
        return Data(base64Encoded: String(url[url.index(after: comma)...])).map(Array.init)
    }

    /// `POST /v1/tokenizers/estimate-token-count` → `{"code":0,"data":{"total_tokens":N},"scode","status"}`
    /// (the data object as D1 documents it; the envelope as the balance's, which C20 documents).
    func estimate(_ body: [UInt8]) -> Answer {
        do {
            let request = try StandInRequest.estimate(body, models: Self.models)
            return Self.json(200, ["code": 0, "scode": "0x0", "status": true, "data": ["total_tokens": try promptTokens(request)]])
        } catch { return Self.refused(error) }
    }

    func chat(_ body: [UInt8]) -> Answer {
        let request: StandInRequest, prompt: Int
        do {
            request = try StandInRequest.chat(body, models: Self.models)
            prompt = try promptTokens(request)
        } catch { return Self.refused(error) }
        let context = Self.catalogue.first { $0["id"] as? String == request.model }?["context_length"] as? Int ?? 262_144
        guard prompt <= context else {
            return Self.error(400, "invalid_request_error", "Your request exceeded model token limit: \(context)")
        }
        var images = 0, videos = 0
        for message in request.messages {
            for part in message["content"] as? [[String: Any]] ?? [] {
                if part["type"] as? String == "image_url" { images += 1 }
                if part["type"] as? String == "video_url" { videos += 1 }
            }
        }
        // The model thinks first (reasoning_content), then answers; a budget too small for both
        // ends inside the thinking with no answer text, as third parties saw K2.6 do.
        let reasoning = request.thinking ? "The user sent \(images + videos) item(s); describe them." : ""
        var text = "stand-in answer: \(images) image(s), \(videos) video(s), \(prompt) prompt tokens"
        var finish = "stop", completion = 12
        if let budget = request.maxCompletionTokens, budget < completion {
            (text, finish, completion) = ("", "length", budget)
        }
        let usage: [String: Any] = ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion]
        if request.stream {
            return Self.events(model: request.model, reasoning: reasoning, text: text, finish: finish, usage: usage)
        }
        var message: [String: Any] = ["role": "assistant", "content": text]
        if !reasoning.isEmpty { message["reasoning_content"] = reasoning }
        return Self.json(200, ["id": "chatcmpl-stand-in", "object": "chat.completion", "created": Int(Date().timeIntervalSince1970),
                               "model": request.model, "usage": usage,
                               "choices": [["index": 0, "message": message, "finish_reason": finish]]])
    }

    /// A streamed answer as server-sent events (`text/event-stream`): a role event, the reasoning
    /// and the text in pieces (`choices[0].delta`), a last event with `finish_reason` and the usage
    /// inside the choice (where Moonshot puts it), then `data: [DONE]`.
    static func events(model: String, reasoning: String, text: String, finish: String, usage: [String: Any]) -> Answer {
        func event(_ delta: [String: String], finish: String? = nil, last: Bool = false) -> String {
            var choice: [String: Any] = ["index": 0, "delta": delta]
            choice["finish_reason"] = finish ?? NSNull()
            if last { choice["usage"] = usage }
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
        body += event([:], finish: finish, last: true) + "data: [DONE]\n\n"
        return Answer(status: 200, body: Array(body.utf8), headers: ["Content-Type": "text/event-stream"])
    }

    /// `POST /v1/files` (multipart: `file` with a filename, `purpose`), answered with the documented
    /// FileObject (`status` "ready", the docs' example value); the errors page's texts for its refusals.
    func upload(headers: HTTPHeaders, body: [UInt8], keepingHalf: Bool = false) -> Answer {
        guard let type = headers.first(name: "content-type"), type.hasPrefix("multipart/form-data"),
              let boundary = type.components(separatedBy: "boundary=").last?.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")),
              !boundary.isEmpty else {
            return Self.error(400, "invalid_request_error", "Invalid request: expected multipart/form-data")
        }
        let fields = Multipart.parse(body, boundary: boundary)
        guard var file = fields.first(where: { $0.name == "file" }), let filename = file.filename else {
            return Self.error(400, "invalid_request_error", "Invalid request: no file part")
        }
        let purpose = fields.first { $0.name == "purpose" }.map { String(decoding: $0.content, as: UTF8.self) } ?? ""
        guard ["file-extract", "image", "video", "batch"].contains(purpose) else {
            return Self.error(400, "invalid_request_error", "Invalid purpose: '\(purpose)'")
        }
        if keepingHalf { file.content = Array(file.content.prefix(file.content.count / 2)) }
        guard !file.content.isEmpty else {
            return Self.error(400, "invalid_request_error", "File size is zero, please confirm and re-upload the file")
        }
        guard file.content.count <= options.maxUploadBytes else {
            return Self.error(400, "invalid_request_error", "File size is too large, max file size is 100MB, please confirm and re-upload the file")
        }
        let outcome = state.withLockedValue { s -> Result<[String: Any], StandInRequest.Refusal> in
            guard s.files.count < options.maxFiles else {
                return .failure(.init(status: 400, type: "invalid_request_error",
                                      message: "The number of files you have uploaded exceeded the max file count \(options.maxFiles), please delete previous uploaded files"))
            }
            let total = s.files.values.reduce(0) { $0 + $1.content.count }
            guard total + file.content.count <= options.maxTotalBytes else {
                return .failure(.init(status: 400, type: "invalid_request_error",
                                      message: "The size of files you have uploaded exceeded the max total size \(options.maxTotalBytes), please delete previous uploaded files"))
            }
            let id = String(format: "cstandin%012d", s.nextID)
            s.nextID += 1
            let stored = StoredFile(id: id, filename: filename, purpose: purpose, createdAt: Int(Date().timeIntervalSince1970), content: file.content)
            s.files[id] = stored
            s.order.append(id)
            return .success(stored.object)
        }
        switch outcome {
        case .success(let object): return Self.json(200, object)
        case .failure(let refusal): return Self.refused(refusal)
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
                    if answer.truncated {
                        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: answer.body.prefix(answer.body.count / 2))))))
                            .whenComplete { _ in context.close(promise: nil) }
                        return
                    }
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

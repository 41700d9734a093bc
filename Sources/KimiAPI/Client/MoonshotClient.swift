import AsyncHTTPClient
import Foundation
import NIOCore
import MediaCore
import NIOHTTP1

/// The Moonshot API over AsyncHTTPClient: the token estimate endpoint, the Files API and chat
/// completions (kimi-api-spec.md §4). Every call sends `Authorization: Bearer <key>`, checks the
/// answer for an `error` body even on HTTP 200, reads at most ``Timeouts/maxResponseBytes``, and
/// retries rate limits (429, except an exhausted balance), 5xx, dropped connections and timeouts
/// per its ``RetryPolicy``. Chat requests are validated (``ChatRequest/violations()``) before
/// anything is sent. Errors are ``APIError``s, in which the key never appears.
public final class MoonshotClient: Sendable {
    public let configuration: APIConfiguration
    public let retry: RetryPolicy
    public let timeouts: Timeouts
    let http: HTTPClient
    let limiter: RateLimiter
    private let onWait: (@Sendable (String) -> Void)?
    /// The largest chat body sent (the API's 100,000,000 bytes): a larger one is refused before
    /// sending — upload its media instead (``PayloadPlanner`` decides which).
    public let maxRequestBodyBytes: Int64

    /// `onWait` hears why the client is idle ("waiting 18 s before POST /v1/files: 3 requests a
    /// minute …"), for progress output. Requests are paced to `configuration.rateLimits`.
    public init(configuration: APIConfiguration, retry: RetryPolicy = RetryPolicy(), timeouts: Timeouts = Timeouts(),
                maxRequestBodyBytes: Int64 = APILimits.default.maxRequestBodyBytes, onWait: (@Sendable (String) -> Void)? = nil) {
        self.configuration = configuration
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.retry = retry
        self.timeouts = timeouts
        self.onWait = onWait
        limiter = RateLimiter(limits: configuration.rateLimits)
        var config = HTTPClient.Configuration()
        config.timeout = HTTPClient.Configuration.Timeout(connect: .milliseconds(Int64(timeouts.connect * 1000)))
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// Closes connections; call once done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: Endpoints

    /// `POST /v1/tokenizers/estimate-token-count` → `data.total_tokens`.
    public func estimateTokens(model: String, messages: [ChatMessage]) async throws(APIError) -> Int {
        let body = try encode(EstimateRequest(model: model, messages: messages), endpoint: "POST /v1/tokenizers/estimate-token-count")
        let answer: EstimateResponse = try await call(.POST, "tokenizers/estimate-token-count", body: { .bytes(ByteBuffer(bytes: body)) },
                                                      length: body.count, timeout: timeouts.request)
        return answer.data.totalTokens
    }

    /// `POST /v1/chat/completions`, after validation.
    public func chat(_ request: ChatRequest) async throws(APIError) -> ChatResponse {
        let endpoint = "POST /v1/chat/completions"
        let violations = request.violations()
        guard violations.isEmpty else {
            throw APIError(.invalidRequest, message: "the request breaks \(violations.count) rule(s) of the API", endpoint: endpoint,
                           violations: violations)
        }
        let body = try encode(request, endpoint: endpoint)
        try checkBodySize(Int64(body.count), endpoint: endpoint)
        return try await call(.POST, "chat/completions", body: { .bytes(ByteBuffer(bytes: body)) }, length: body.count,
                              timeout: timeouts.request, idempotent: false)
    }

    /// Posts a request body already written to a file (``RequestBodyWriter``), streamed from disk.
    public func chat(bodyFile path: String) async throws(APIError) -> ChatResponse {
        let endpoint = "POST /v1/chat/completions"
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil else {
            throw APIError(.io, message: "cannot read the request body \(path)", endpoint: endpoint)
        }
        try checkBodySize(size, endpoint: endpoint)
        return try await call(.POST, "chat/completions", body: { .stream(FileChunks(parts: [.file(path)]), length: .known(size)) },
                              length: Int(size), timeout: timeouts.upload, idempotent: false)
    }

    /// Refuses, before anything is sent, a chat body the API would refuse for its size.
    func checkBodySize(_ bytes: Int64, endpoint: String) throws(APIError) {
        guard bytes > maxRequestBodyBytes else { return }
        throw APIError(.invalidRequest, message: "the request body is \(bytes) bytes, over the limit of \(maxRequestBodyBytes): "
            + "upload the large media (ms:// references; PayloadPlanner decides) instead of sending them inline", endpoint: endpoint)
    }

    /// `POST /v1/files` (multipart, streamed from disk: the file is never held in memory).
    /// Refuses empty files and files over the upload limit before sending.
    public func upload(path: String, purpose: FilePurpose, mimeType: String,
                       limits: APILimitsProvider = .default) async throws(APIError) -> FileObject {
        let endpoint = "POST /v1/files"
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil else {
            throw APIError(.io, message: "cannot read \(path)", endpoint: endpoint)
        }
        guard size > 0 else { throw APIError(.invalidRequest, message: "\(path) is empty; the Files API refuses zero-byte files", endpoint: endpoint) }
        guard size <= limits.maxUploadBytes else {
            throw APIError(.invalidRequest, message: "\(path) is \(size) bytes; the Files API takes at most \(limits.maxUploadBytes)",
                           endpoint: endpoint)
        }
        let boundary = "kimi-media-\(UUID().uuidString)"
        let filename = Self.quotedFilename((path as NSString).lastPathComponent)
        let head = Data(("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n\(purpose.rawValue)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
            + "Content-Type: \(mimeType)\r\n\r\n").utf8)
        let tail = Data("\r\n--\(boundary)--\r\n".utf8)
        let total = Int64(head.count) + size + Int64(tail.count)
        let started = Date().timeIntervalSince1970
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await call(.POST, "files", body: { .stream(FileChunks(parts: [.bytes(head), .file(path), .bytes(tail)]), length: .known(total)) },
                                      length: Int(total), contentType: "multipart/form-data; boundary=\(boundary)", timeout: timeouts.upload,
                                      idempotent: false)
            } catch where (error.kind == .timeout || error.kind == .transport) && attempt < retry.maxAttempts {
                // The upload may have arrived although its answer did not: look for it before sending
                // the bytes again, so nothing is stored twice.
                let name = (path as NSString).lastPathComponent
                if let files = try? await listFiles(),
                   let arrived = files.first(where: { $0.filename == name && $0.bytes == size && ($0.createdAt ?? 0) >= Int64(started) - 5 }) {
                    return arrived
                }
                try? await Task.sleep(nanoseconds: UInt64(retry.delay(afterAttempt: attempt, serverAsked: nil) * 1e9))
            }
        }
    }

    /// `GET /v1/files`.
    public func listFiles() async throws(APIError) -> [FileObject] {
        let list: FileList = try await call(.GET, "files", timeout: timeouts.request)
        return list.data
    }

    /// `GET /v1/files/{id}`.
    public func file(id: String) async throws(APIError) -> FileObject {
        try await call(.GET, "files/" + Self.pathComponent(id), timeout: timeouts.request)
    }

    /// `DELETE /v1/files/{id}`.
    public func deleteFile(id: String) async throws(APIError) -> Bool {
        let answer: FileDeletion = try await call(.DELETE, "files/" + Self.pathComponent(id), timeout: timeouts.request)
        return answer.deleted
    }

    /// `GET /v1/models`: the models the key may use, with their context length and media support.
    public func models() async throws(APIError) -> [ModelInfo] {
        let list: ModelList = try await call(.GET, "models", timeout: timeouts.request)
        return list.data
    }

    /// `GET /v1/users/me/balance`.
    public func balance() async throws(APIError) -> Balance {
        let answer: BalanceResponse = try await call(.GET, "users/me/balance", timeout: timeouts.request)
        return answer.data
    }

    /// Checks that `model` is offered to this key (`GET /v1/models`) and, when `media` names what
    /// the request carries, that the model takes it: a clear error before any upload or spending,
    /// instead of a 404 "Not found the model … or Permission denied" after them.
    public func checkModel(_ model: String, images: Bool = false, videos: Bool = false) async throws(APIError) -> ModelInfo {
        let endpoint = "GET \(configuration.baseURL.path)/models"
        let offered = try await models()
        guard let info = offered.first(where: { $0.id == model }) else {
            let names = offered.map(\.id).sorted().joined(separator: ", ")
            throw APIError(.invalidRequest, message: "the model \(model) is not offered to this key (retired, or not in its tier); "
                + "offered: \(names.isEmpty ? "none" : names)", endpoint: endpoint)
        }
        if images && info.supportsImageIn == false {
            throw APIError(.invalidRequest, message: "the model \(model) does not take images", endpoint: endpoint)
        }
        if videos && info.supportsVideoIn == false {
            throw APIError(.invalidRequest, message: "the model \(model) does not take videos", endpoint: endpoint)
        }
        return info
    }

    // MARK: Transport

    /// Limits the client checks before an upload.
    public struct APILimitsProvider: Sendable {
        public var maxUploadBytes: Int64
        public init(maxUploadBytes: Int64) { self.maxUploadBytes = maxUploadBytes }
        public static let `default` = APILimitsProvider(maxUploadBytes: 100_000_000)
    }

    private func encode<T: Encodable>(_ value: T, endpoint: String) throws(APIError) -> Data {
        do { return try ChatRequest.encoder.encode(value) } catch {
            throw APIError(.invalidRequest, message: "cannot encode the request: \(error)", endpoint: endpoint)
        }
    }

    /// One request, paced by the rate limiter and retried: 429s (rate limits, overloads) wait what
    /// the headers or the message ask, or a growing backoff, up to ``RetryPolicy/maxRateLimitAttempts``;
    /// other failures are retried up to ``RetryPolicy/maxAttempts`` — for a request that is not
    /// `idempotent` (a chat, an upload) only when the answer proves it was not processed (a 503), never
    /// after a timeout or a dropped connection, which may have come after the server acted.
    private func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: (() -> HTTPClientRequest.Body)? = nil, length: Int = 0,
                                    contentType: String = "application/json", timeout: Double,
                                    idempotent: Bool = true) async throws(APIError) -> T {
        let endpoint = "\(method.rawValue) \(configuration.baseURL.path)/\(path)".replacingOccurrences(of: "//", with: "/")
        guard let key = configuration.apiKey else {
            throw APIError(.missingKey, message: "no API key: set MOONSHOT_API_KEY or pass --api-key-file", endpoint: endpoint)
        }
        var attempt = 0, failures = 0, rateLimits = 0
        while true {
            attempt += 1
            await limiter.acquire(endpoint: endpoint, onWait: onWait)
            let request = makeRequest(method, path, key: key, body: body, contentType: contentType, accept: "application/json")
            let outcome: Result<T, APIError>
            var serverDelay: Double?
            do {
                let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
                let data: ByteBuffer
                do {
                    data = try await response.body.collect(upTo: timeouts.maxResponseBytes)
                } catch is NIOTooManyBytesError {
                    throw APIError(.invalidResponse, status: Int(response.status.code),
                                   message: "the answer is larger than \(timeouts.maxResponseBytes) bytes", endpoint: endpoint)
                }
                serverDelay = RetryPolicy.serverDelay(retryAfter: response.headers.first(name: "Retry-After"),
                                                      rateLimitReset: response.headers.first(name: "X-RateLimit-Reset"),
                                                      now: Date().timeIntervalSince1970)
                outcome = Self.decode(T.self, status: Int(response.status.code), body: Data(data.readableBytesView), endpoint: endpoint, key: key)
            } catch let error as APIError {
                outcome = .failure(error)
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
                outcome = .failure(APIError(.timeout, message: "no answer in time (\(error))", endpoint: endpoint))
            } catch {
                outcome = .failure(APIError(.transport, message: key.redact("\(error)"), endpoint: endpoint))
            }
            await limiter.release()
            switch outcome {
            case .success(let value):
                return value
            case .failure(var error):
                error.attempts = attempt
                if Task.isCancelled { throw error }
                if error.isRateLimit {
                    rateLimits += 1
                    guard rateLimits < retry.maxRateLimitAttempts else { throw error }
                    let asked = serverDelay ?? RetryPolicy.messageDelay(error.message)
                    let wait = min(retry.maxRateLimitDelay, asked ?? retry.delay(afterAttempt: rateLimits, serverAsked: nil))
                    await limiter.rateLimited(wait: wait)  // every task of this client waits it out
                    continue
                }
                failures += 1
                let provenUnprocessed = error.kind == .http && error.status == 503
                guard error.isRetryable, failures < retry.maxAttempts, idempotent || provenUnprocessed else { throw error }
                let delay = retry.delay(afterAttempt: failures, serverAsked: serverDelay)
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                if Task.isCancelled { throw error }
            }
        }
    }

    func makeRequest(_ method: HTTPMethod, _ path: String, key: APIKey, body: (() -> HTTPClientRequest.Body)?, contentType: String,
                     accept: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: configuration.url(path).absoluteString)
        request.method = method
        request.headers.add(name: "Authorization", value: key.authorizationHeaderValue)
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: "kimi-media")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = body()
        }
        return request
    }

    /// Sends a request whose answer is read as it arrives (a stream): paced like ``call``, its 429s
    /// waited out, any other failure thrown at once (the request is not idempotent). On success
    /// the caller holds a rate-limit slot until the answer has been read: release it with
    /// ``finishStream()``.
    func send(_ method: HTTPMethod, _ path: String, body: @escaping @Sendable () -> HTTPClientRequest.Body, accept: String,
              timeout: Double, idempotent: Bool) async throws(APIError) -> (response: HTTPClientResponse, endpoint: String) {
        let endpoint = "\(method.rawValue) \(configuration.baseURL.path)/\(path)".replacingOccurrences(of: "//", with: "/")
        guard let key = configuration.apiKey else {
            throw APIError(.missingKey, message: "no API key: set MOONSHOT_API_KEY or pass --api-key-file", endpoint: endpoint)
        }
        var rateLimits = 0
        while true {
            await limiter.acquire(endpoint: endpoint, onWait: onWait)
            let request = makeRequest(method, path, key: key, body: body, contentType: "application/json", accept: accept)
            let failure: APIError
            var serverDelay: Double?
            do {
                let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
                if (200..<300).contains(Int(response.status.code)) { return (response, endpoint) }
                let data = (try? await response.body.collect(upTo: timeouts.maxResponseBytes)) ?? ByteBuffer()
                serverDelay = RetryPolicy.serverDelay(retryAfter: response.headers.first(name: "Retry-After"),
                                                      rateLimitReset: response.headers.first(name: "X-RateLimit-Reset"),
                                                      now: Date().timeIntervalSince1970)
                let decoded: Result<ErrorBody, APIError> = Self.decode(ErrorBody.self, status: Int(response.status.code),
                                                                     body: Data(data.readableBytesView), endpoint: endpoint, key: key)
                switch decoded {
                case .failure(let error): failure = error
                case .success: failure = APIError(.http, status: Int(response.status.code), message: "no error body", endpoint: endpoint)
                }
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
                failure = APIError(.timeout, message: "no answer in time (\(error))", endpoint: endpoint)
            } catch {
                failure = APIError(.transport, message: key.redact("\(error)"), endpoint: endpoint)
            }
            await limiter.release()
            guard failure.isRateLimit, rateLimits + 1 < retry.maxRateLimitAttempts, !Task.isCancelled else { throw failure }
            rateLimits += 1
            let asked = serverDelay ?? RetryPolicy.messageDelay(failure.message)
            await limiter.rateLimited(wait: min(retry.maxRateLimitDelay, asked ?? retry.delay(afterAttempt: rateLimits, serverAsked: nil)))
        }
    }

    /// Releases the rate-limit slot a successful ``send`` left held.
    func finishStream() async { await limiter.release() }

    /// An answer's JSON: the `error` body wins whatever the status; otherwise a 2xx decodes as `T`.
    static func decode<T: Decodable>(_ type: T.Type, status: Int, body: Data, endpoint: String, key: APIKey) -> Result<T, APIError> {
        if let error = try? JSONDecoder().decode(ErrorBody.self, from: body) {
            return .failure(APIError(.http, status: status, type: error.error.type.map(key.redact),
                                     message: key.redact(error.error.message ?? "no message"), endpoint: endpoint))
        }
        guard (200..<300).contains(status) else {
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            return .failure(APIError(.http, status: status, message: key.redact(text.isEmpty ? "no body" : text), endpoint: endpoint))
        }
        do {
            return .success(try JSONDecoder().decode(T.self, from: body))
        } catch {
            return .failure(APIError(.invalidResponse, status: status, message: "unexpected answer: \(error)", endpoint: endpoint))
        }
    }

    static func pathComponent(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? id
    }

    /// A filename safe inside a quoted multipart header.
    static func quotedFilename(_ name: String) -> String {
        String(name.unicodeScalars.map { $0 == "\"" || $0 == "\\" || $0.value < 32 ? "_" : Character($0) })
    }
}

/// Bytes and files as a stream of ByteBuffers (1 MiB reads): request bodies from disk.
struct FileChunks: AsyncSequence, Sendable {
    enum Part: Sendable {
        case bytes(Data)
        case file(String)
    }

    typealias Element = ByteBuffer
    let parts: [Part]

    struct AsyncIterator: AsyncIteratorProtocol {
        var parts: [Part]
        var handle: FileHandle?

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if let handle {
                    if let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { return ByteBuffer(bytes: chunk) }
                    try? handle.close()
                    self.handle = nil
                }
                guard !parts.isEmpty else { return nil }
                switch parts.removeFirst() {
                case .bytes(let data): return ByteBuffer(bytes: data)
                case .file(let path):
                    guard let opened = FileHandle(forReadingAtPath: path) else {
                        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
                    }
                    handle = opened
                }
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(parts: parts) }
}

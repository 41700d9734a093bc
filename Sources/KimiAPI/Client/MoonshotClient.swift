import AsyncHTTPClient
import Foundation
import NIOCore
import MediaCore
import NIOHTTP1
import NIOPosix
import NIOConcurrencyHelpers

/// The Moonshot API over AsyncHTTPClient: the token estimate endpoint, the Files API and chat
/// completions (docs/kimi-api.md §4). Every call sends `Authorization: Bearer <key>`, checks the
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
    /// Hears why the client is idle, and warnings that do not fail a call (an upload cache that
    /// cannot be saved).
    let onWait: (@Sendable (String) -> Void)?
    /// Hears each 429 the server answered (a rate limit or an overload), before the client waits it out.
    let onRateLimit: (@Sendable () -> Void)?
    /// The largest chat body sent (the API's 100,000,000 bytes): a larger one is refused before
    /// sending — upload its media instead (``PayloadPlanner`` decides which).
    public let maxRequestBodyBytes: Int64

    /// `onWait` hears why the client is idle ("waiting 18 s before POST /v1/files: 3 requests a
    /// minute …"), for progress output. Requests are paced to `configuration.rateLimits`.
    public init(configuration: APIConfiguration, retry: RetryPolicy = RetryPolicy(), timeouts: Timeouts = Timeouts(),
                maxRequestBodyBytes: Int64 = APILimits.default.maxRequestBodyBytes, onWait: (@Sendable (String) -> Void)? = nil,
                onRateLimit: (@Sendable () -> Void)? = nil) {
        self.configuration = configuration
        self.onRateLimit = onRateLimit
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.retry = retry
        self.timeouts = timeouts
        self.onWait = onWait
        limiter = RateLimiter(limits: configuration.rateLimits)
        var config = HTTPClient.Configuration()
        config.timeout = HTTPClient.Configuration.Timeout(connect: .milliseconds(Int64(timeouts.connect * 1000)),
                                                          read: timeouts.read.map { .milliseconds(Int64($0 * 1000)) })
        config.redirectConfiguration = .disallow
        // A connection that cannot be made fails the attempt at once; the client's own RetryPolicy
        // tries again with its backoff. AsyncHTTPClient's retry would keep a refused connection
        // silent for the whole connect timeout (10 s), per attempt, before a word reached the user.
        config.connectionPool.retryConnectionEstablishment = false
        config.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// Closes connections. ``withMoonshotClient(_:retry:timeouts:onWait:_:)`` calls it for you;
    /// call it yourself (awaited, once) only for a client you made with `init`.
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
        let body = try chatBody(request)
        return try await call(.POST, "chat/completions", body: { .bytes(ByteBuffer(bytes: body)) }, length: body.count,
                              timeout: timeouts.request, idempotent: false)
    }

    /// Posts a request body already written to a file (``RequestBodyWriter``), streamed from disk.
    public func chat(bodyFile path: String) async throws(APIError) -> ChatResponse {
        let size = try chatBodySize(file: path)
        return try await call(.POST, "chat/completions", body: { .stream(FileChunks(parts: [.file(path, bytes: size)]), length: .known(size)) },
                              length: Int(size), timeout: timeouts.upload, idempotent: false)
    }

    static let chatEndpoint = "POST /v1/chat/completions"

    /// The body of a chat request, refused before anything is sent when it breaks a rule of the API
    /// (``ChatRequest/violations()``) or is larger than ``maxRequestBodyBytes``.
    func chatBody(_ request: ChatRequest) throws(APIError) -> Data {
        let violations = request.violations()
        guard violations.isEmpty else {
            throw APIError(.invalidRequest, message: "the request breaks \(counted(violations.count, "rule")) of the API",
                           endpoint: Self.chatEndpoint, violations: violations)
        }
        let body = try encode(request, endpoint: Self.chatEndpoint)
        try checkBodySize(Int64(body.count))
        return body
    }

    /// The size of a chat body already written to a file, checked against ``maxRequestBodyBytes``.
    func chatBodySize(file path: String) throws(APIError) -> Int64 {
        guard let size = FileSize.of(path) else {
            throw APIError(.io, message: "cannot read the request body \(path)", endpoint: Self.chatEndpoint)
        }
        try checkBodySize(size)
        return size
    }

    /// Refuses, before anything is sent, a chat body the API would refuse for its size.
    private func checkBodySize(_ bytes: Int64) throws(APIError) {
        guard bytes > maxRequestBodyBytes else { return }
        throw APIError(.invalidRequest, message: "the request body is \(bytes) bytes, over the limit of \(maxRequestBodyBytes): "
            + "upload the large media (ms:// references; PayloadPlanner decides) instead of sending them inline", endpoint: Self.chatEndpoint)
    }

    /// `POST /v1/files` (multipart, streamed from disk: the file is never held in memory).
    /// Refuses empty files and files over the upload limit before sending. A symbolic link is
    /// uploaded as its target (size and bytes both read through the link). An attempt that fails in
    /// a way that may have come after the server stored the file (a dropped connection, a timeout,
    /// a cut or unreadable answer, a 5xx) is looked for in `GET /v1/files` before the next one, and
    /// when the upload finally fails whatever it left on the account is deleted: a failed upload
    /// never leaves a stored file behind.
    public func upload(path: String, purpose: FilePurpose, mimeType: String,
                       limits: APILimitsProvider = .default) async throws(APIError) -> FileObject {
        let endpoint = "POST /v1/files"
        guard let size = FileSize.of(path) else {
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
        let started = Date().timeIntervalSince1970, name = (path as NSString).lastPathComponent
        var attempt = 0, unsure = false
        while true {
            attempt += 1
            do {
                return try await call(.POST, "files", body: { .stream(FileChunks(parts: [.bytes(head), .file(path, bytes: size), .bytes(tail)]),
                                                                      length: .known(total)) },
                                      length: Int(total), contentType: "multipart/form-data; boundary=\(boundary)", timeout: timeouts.upload,
                                      idempotent: false)
            } catch {
                unsure = unsure || error.mayHaveBeenProcessed
                let again = ((error.isRetryable && !error.isRateLimit) || error.kind == .invalidResponse) && attempt < retry.maxAttempts
                    && !Task.isCancelled
                // The upload may have arrived although its answer did not (a dropped or cut answer, a
                // timeout, a server error after the store): look for it before sending the bytes
                // again, so nothing is stored twice.
                if again, error.mayHaveBeenProcessed, let files = try? await listFiles(),
                   let arrived = files.first(where: { $0.filename == name && $0.bytes == size && ($0.createdAt ?? 0) >= Int64(started) - 5 }) {
                    return arrived
                }
                guard again else {
                    if unsure { await removeStrays(named: name, since: started) }
                    throw error
                }
                try? await Task.sleep(nanoseconds: UInt64(retry.delay(afterAttempt: attempt, serverAsked: nil) * 1e9))
            }
        }
    }

    /// After a failed upload: deletes the files named `name` stored since `started` (what an attempt
    /// whose answer was lost may have left), in a task of its own so that a cancelled upload cleans
    /// up too. Best effort: a listing or deletion that fails is left (the next `files prune` finds it).
    private func removeStrays(named name: String, since started: Double) async {
        let client = self
        await Task.detached {
            guard let files = try? await client.listFiles() else { return }
            for file in files where file.filename == name && (file.createdAt ?? 0) >= Int64(started) - 5 {
                _ = try? await client.deleteFile(id: file.id)
            }
        }.value
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

    /// The checks worth making before anything is uploaded or billed, as cheap as the tier allows:
    /// the model is offered (when it is not the default, or when requests are plentiful) and, when
    /// requests are plentiful (no per-minute limit, or at least 30 a minute), the available balance
    /// is above zero. On the entry tier each call is one of three a minute, so the default model is
    /// trusted and the balance left to the first real request (whose quota error stops the run at
    /// once). Returns the checks made, e.g. `["model", "balance"]`.
    @discardableResult
    public func preflight(model: String, isDefaultModel: Bool) async throws(APIError) -> [String] {
        let plentiful = (configuration.rateLimits.requestsPerMinute ?? .max) >= 30
        var made: [String] = []
        if !isDefaultModel || plentiful {
            _ = try await checkModel(model)
            made.append("model")
        }
        if plentiful {
            let available = try await balance().availableBalance
            made.append("balance")
            guard available > 0 else {
                throw APIError(.http, type: "exceeded_current_quota_error",
                               message: "the available balance is \(available): the API refuses every request until the account is topped up",
                               endpoint: "GET \(configuration.baseURL.path)/users/me/balance")
            }
        }
        return made
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

    /// One request, paced by the rate limiter and retried (``retryAfter(_:idempotent:otherFailures:failures:rateLimits:)``).
    private func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: (() -> HTTPClientRequest.Body)? = nil, length: Int = 0,
                                    contentType: String = "application/json", timeout: Double,
                                    idempotent: Bool = true) async throws(APIError) -> T {
        let (endpoint, key) = try target(method, path)
        var attempt = 0, failures = 0, rateLimits = 0
        while true {
            attempt += 1
            var failure: Failure
            switch await exchange(method, path, endpoint: endpoint, key: key, body: body, contentType: contentType,
                                  accept: "application/json", timeout: timeout) {
            case .success(let response):
                let collected: Result<ByteBuffer, APIError>
                do {
                    collected = .success(try await response.body.collect(upTo: timeouts.maxResponseBytes))
                } catch is NIOTooManyBytesError {
                    collected = .failure(APIError(.invalidResponse, status: Int(response.status.code),
                                                  message: "the answer is larger than \(timeouts.maxResponseBytes) bytes", endpoint: endpoint))
                } catch {
                    collected = .failure(self.transportError(error, endpoint: endpoint, key: key))
                }
                await limiter.release()
                let decoded = collected.flatMap { data in
                    Self.decode(T.self, status: Int(response.status.code), body: Data(data.readableBytesView), endpoint: endpoint, key: key)
                }
                switch decoded {
                case .success(let value): return value
                case .failure(let error): failure = Failure(error: error)
                }
            case .failure(let f):
                failure = f
            }
            failure.error.attempts = attempt
            guard await retryAfter(failure, idempotent: idempotent, failures: &failures, rateLimits: &rateLimits) else { throw failure.error }
        }
    }

    /// Sends a request whose answer is read as it arrives (a stream): paced like ``call``, its 429s
    /// waited out, any other failure thrown at once (the request is not idempotent). On success
    /// the caller holds a rate-limit slot until the answer has been read: release it with
    /// ``finishStream()``.
    func send(_ method: HTTPMethod, _ path: String, body: @escaping @Sendable () -> HTTPClientRequest.Body, accept: String,
              timeout: Double) async throws(APIError) -> (response: HTTPClientResponse, endpoint: String) {
        let (endpoint, key) = try target(method, path)
        var attempt = 0, failures = 0, rateLimits = 0
        while true {
            attempt += 1
            switch await exchange(method, path, endpoint: endpoint, key: key, body: body, contentType: "application/json", accept: accept,
                                  timeout: timeout) {
            case .success(let response):
                return (response, endpoint)
            case .failure(var failure):
                failure.error.attempts = attempt
                guard await retryAfter(failure, idempotent: false, otherFailures: false, failures: &failures, rateLimits: &rateLimits) else {
                    throw failure.error
                }
            }
        }
    }

    /// Requests of this client waiting for its rate limits now.
    public func queueDepth() async -> Int { await limiter.queued }

    /// Releases the rate-limit slot a successful ``send`` left held.
    func finishStream() async { await limiter.release() }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// What a relayed request sends: nothing, a file streamed from disk, or bytes.
    public enum RelayBody: Sendable {
        case none
        case file(String, contentType: String)
        case bytes(Data, contentType: String)
    }

    /// The upstream's answer to a relayed request, its body read as it arrives.
    public struct Relayed: Sendable {
        public var status: Int
        /// The answer's headers worth passing on (`Content-Type`, `Cache-Control`, `X-Request-Id`…).
        public var headers: [(name: String, value: String)]
        public var body: RelayedBody
    }

    /// Sends any endpoint's request for another client (the gateway) with this client's key, paced by
    /// its one rate limiter and retried as every call is — a 429 waited out (headers, message or
    /// backoff), a 503 tried again; other failures only when `idempotent` — then hands back the
    /// answer unread: a 2xx whose body streams as it arrives (the rate-limit slot is held until it
    /// has been read or dropped), or the final failure as an ``APIError`` (status, type, message).
    /// A request that would wait longer than `queueTimeout` seconds for the rate limits is refused
    /// with a 429 of type ``APIError/queueTimeoutType`` and its ``APIError/retryAfter``.
    public func relay(_ method: HTTPMethod, _ path: String, body: RelayBody = .none, accept: String = "application/json",
                      queueTimeout: Double? = nil, timeout: Double, idempotent: Bool) async throws(APIError) -> Relayed {
        let (endpoint, key) = try target(method, path)
        let make: (() -> HTTPClientRequest.Body)?, contentType: String
        switch body {
        case .none: (make, contentType) = (nil, "application/json")
        case .bytes(let data, let type): (make, contentType) = ({ .bytes(ByteBuffer(bytes: data)) }, type)
        case .file(let file, let type):
            guard let size = FileSize.of(file) else { throw APIError(.io, message: "cannot read the request body \(file)", endpoint: endpoint) }
            (make, contentType) = ({ .stream(FileChunks(parts: [.file(file, bytes: size)]), length: .known(size)) }, type)
        }
        var attempt = 0, failures = 0, rateLimits = 0
        while true {
            attempt += 1
            switch await exchange(method, path, endpoint: endpoint, key: key, body: make, contentType: contentType, accept: accept,
                                  timeout: timeout, within: queueTimeout) {
            case .success(let response):
                let kept = Set(["content-type", "cache-control", "x-request-id", "msh-request-id", "content-disposition"])
                let headers = response.headers.filter { kept.contains($0.name.lowercased()) }.map { (name: $0.name, value: $0.value) }
                return Relayed(status: Int(response.status.code), headers: headers, body: RelayedBody(response.body, limiter: limiter))
            case .failure(var failure):
                failure.error.attempts = attempt
                guard await retryAfter(failure, idempotent: idempotent, otherFailures: true, failures: &failures, rateLimits: &rateLimits) else {
                    throw failure.error
                }
            }
        }
    }

    /// A failed attempt and the wait its answer asked for (`Retry-After`, `X-RateLimit-Reset`).
    struct Failure: Error {
        var error: APIError
        var serverDelay: Double?
    }

    /// The endpoint's name for messages and the key, or `missingKey` before anything is sent.
    private func target(_ method: HTTPMethod, _ path: String) throws(APIError) -> (endpoint: String, key: APIKey) {
        let endpoint = "\(method.rawValue) \(configuration.baseURL.path)/\(path)".replacingOccurrences(of: "//", with: "/")
        guard let key = configuration.apiKey else {
            throw APIError(.missingKey, message: "no API key: set MOONSHOT_API_KEY or give the configuration a key", endpoint: endpoint)
        }
        return (endpoint, key)
    }

    /// One attempt: waits for a rate-limit slot, sends, and reads a non-2xx answer as its error. A
    /// 2xx answer comes back unread with the slot still held (the caller releases it); a failure has
    /// released it.
    private func exchange(_ method: HTTPMethod, _ path: String, endpoint: String, key: APIKey, body: (() -> HTTPClientRequest.Body)?,
                          contentType: String, accept: String, timeout: Double, within: Double? = nil) async -> Result<HTTPClientResponse, Failure> {
        let ticket: Int
        switch await limiter.admit(endpoint: endpoint, onWait: onWait, within: within) {
        case .ticket(let admitted): ticket = admitted
        case .refused(let wait):
            return .failure(Failure(error: APIError(.http, status: 429, type: APIError.queueTimeoutType,
                                                    message: "the request would wait \(Int(wait.rounded(.up))) s for the API's rate limits "
                                                        + "(\(configuration.rateLimits)), longer than the \(Self.seconds(within ?? 0)) allowed",
                                                    endpoint: endpoint, retryAfter: wait.rounded(.up))))
        }
        var request = HTTPClientRequest(url: configuration.url(path).absoluteString)
        request.method = method
        request.headers.add(name: "Authorization", value: key.authorizationHeaderValue)
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: "kimi-media")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = body()
        }
        let failure: Failure
        do {
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
                await limiter.arrived(ticket)
            } catch {
                await limiter.arrived(ticket)
                throw error
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return .success(response) }
            let data = (try? await response.body.collect(upTo: timeouts.maxResponseBytes)) ?? ByteBuffer()
            let delay = RetryPolicy.serverDelay(retryAfter: response.headers.first(name: "Retry-After"),
                                                rateLimitReset: response.headers.first(name: "X-RateLimit-Reset"),
                                                now: Date().timeIntervalSince1970)
            // A non-2xx answer is an error: `decode` reads its error body, or its text.
            var error = APIError(.http, status: status, message: "no error body", endpoint: endpoint)
            if case .failure(let answered) = Self.decode(ErrorBody.self, status: status, body: Data(data.readableBytesView),
                                                         endpoint: endpoint, key: key) {
                error = answered
            }
            if status == 429 { onRateLimit?() }
            failure = Failure(error: error, serverDelay: delay)
        } catch {
            failure = Failure(error: transportError(error, endpoint: endpoint, key: key))
        }
        await limiter.release()
        return .failure(failure)
    }

    /// A thrown transport error as an ``APIError``: a timeout, or a transport failure (key redacted),
    /// said in words — "cannot connect to 127.0.0.1:8787: connection refused", not NIO's
    /// "Connection errors: SingleConnectionFailure(…, error: connection reset (error set): …)".
    func transportError(_ error: any Error, endpoint: String, key: APIKey) -> APIError {
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
            return APIError(.timeout, message: "no answer in time (\(error))", endpoint: endpoint)
        }
        if let error = error as? NIOConnectionError {
            let why = (error.dnsAError ?? error.dnsAAAAError).map { _ in "the host name does not resolve" }
                ?? error.connectionErrors.first.map { Self.reason($0.error) } ?? "no address to try"
            return APIError(.transport, message: "cannot connect to \(error.host):\(error.port): \(why)", endpoint: endpoint)
        }
        if let io = error as? IOError {
            let host = "\(configuration.baseURL.host ?? "the server"):\(configuration.baseURL.port ?? (configuration.baseURL.scheme == "http" ? 80 : 443))"
            let connecting = [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT].contains(io.errnoCode)
            return APIError(.transport, message: (connecting ? "cannot connect to \(host): " : "the connection to \(host) failed: ") + Self.reason(io),
                            endpoint: endpoint)
        }
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed {
            return APIError(.transport, message: "the server closed the connection before answering", endpoint: endpoint)
        }
        return APIError(.transport, message: key.redact("\(error)"), endpoint: endpoint)
    }

    /// A socket error in words: `strerror` of its errno, with what it usually means.
    private static func reason(_ error: any Error) -> String {
        guard let io = error as? IOError else { return "\(error)" }
        let text = String(cString: strerror(io.errnoCode)).lowercased()
        return io.errnoCode == ECONNREFUSED ? text + " (nothing is listening there; check the base URL)" : text
    }

    /// After a failed attempt: waits and says to try again, or says to give up. A 429 (a rate limit
    /// or an overload) waits what its headers or its message ask, else a growing backoff, up to
    /// ``RetryPolicy/maxRateLimitAttempts`` — and every task of this client waits with it. Other
    /// failures (when `otherFailures`) back off up to ``RetryPolicy/maxAttempts`` — for a request
    /// that is not `idempotent` (a chat, an upload) only when the answer proves it was not processed
    /// (a 503), never after a timeout or a dropped connection, which may have come after the server acted.
    private func retryAfter(_ failure: Failure, idempotent: Bool, otherFailures: Bool = true, failures: inout Int,
                            rateLimits: inout Int) async -> Bool {
        let error = failure.error
        if Task.isCancelled || error.type == APIError.queueTimeoutType { return false }
        if error.isRateLimit {
            rateLimits += 1
            guard rateLimits < retry.maxRateLimitAttempts else { return false }
            let asked = failure.serverDelay ?? RetryPolicy.messageDelay(error.message)
            await limiter.rateLimited(wait: min(retry.maxRateLimitDelay, asked ?? retry.delay(afterAttempt: rateLimits, serverAsked: nil)))
            return true
        }
        guard otherFailures else { return false }
        failures += 1
        let provenUnprocessed = error.kind == .http && error.status == 503
        guard error.isRetryable, failures < retry.maxAttempts, idempotent || provenUnprocessed else { return false }
        try? await Task.sleep(nanoseconds: UInt64(retry.delay(afterAttempt: failures, serverAsked: failure.serverDelay) * 1e9))
        return !Task.isCancelled
    }

    /// An answer's JSON: the `error` body wins whatever the status; otherwise a 2xx decodes as `T`.
    package static func decode<T: Decodable>(_ type: T.Type, status: Int, body: Data, endpoint: String, key: APIKey) -> Result<T, APIError> {
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

/// A relayed answer's body as it arrives (``MoonshotClient/relay(_:_:body:accept:queueTimeout:timeout:idempotent:)``):
/// the rate-limit slot its request holds is given back when the body ends, fails, or is dropped unread.
public final class RelayedBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let body: HTTPClientResponse.Body
    let limiter: RateLimiter
    let released = NIOLockedValueBox(false)

    init(_ body: HTTPClientResponse.Body, limiter: RateLimiter) {
        self.body = body
        self.limiter = limiter
    }

    deinit { release() }

    func release() {
        guard released.withLockedValue({ was in defer { was = true }; return !was }) else { return }
        let limiter = limiter
        Task { await limiter.release() }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: HTTPClientResponse.Body.AsyncIterator
        let owner: RelayedBody

        public mutating func next() async throws -> ByteBuffer? {
            do {
                guard let chunk = try await inner.next() else {
                    owner.release()
                    return nil
                }
                return chunk
            } catch {
                owner.release()
                throw error
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: body.makeAsyncIterator(), owner: self) }
}

/// Bytes and files as a stream of ByteBuffers (1 MiB reads): request bodies from disk. A file is
/// opened when its turn comes (links followed) and must hold the bytes counted when the length was
/// declared: one that changed size meanwhile fails the stream instead of sending a body of another
/// length than its header says.
struct FileChunks: AsyncSequence, Sendable {
    enum Part: Sendable {
        case bytes(Data)
        /// A file and the size it was counted at (`nil`: whatever it holds).
        case file(String, bytes: Int64? = nil)
    }

    typealias Element = ByteBuffer
    let parts: [Part]

    struct AsyncIterator: AsyncIteratorProtocol {
        var parts: [Part]
        var handle: FileHandle?
        var path = ""
        var remaining: Int64?

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if let handle {
                    let want = remaining.map { Int(Swift.min($0, 1 << 20)) } ?? 1 << 20
                    if want > 0, let chunk = try handle.read(upToCount: want), !chunk.isEmpty {
                        remaining = remaining.map { $0 - Int64(chunk.count) }
                        return ByteBuffer(bytes: chunk)
                    }
                    let extra = remaining == 0 ? try handle.read(upToCount: 1) ?? Data() : Data()
                    try? handle.close()
                    self.handle = nil
                    if let remaining, remaining != 0 || !extra.isEmpty {
                        throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path,
                                         NSLocalizedDescriptionKey: "\(path) changed size while it was being sent"])
                    }
                }
                guard !parts.isEmpty else { return nil }
                switch parts.removeFirst() {
                case .bytes(let data): return ByteBuffer(bytes: data)
                case .file(let file, let bytes):
                    guard let opened = FileHandle(forReadingAtPath: file) else {
                        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file])
                    }
                    handle = opened
                    path = file
                    remaining = bytes
                }
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(parts: parts) }
}

/// Runs `body` with a client for `configuration` and shuts the client down afterwards, whether
/// `body` returns, throws or is cancelled — the scoped form, so no connection pool outlives its use:
///
/// ```swift
/// let tokens = try await withMoonshotClient(try APIConfiguration.resolve()) { client in
///     try await client.estimateTokens(model: "kimi-k2.6", messages: messages)
/// }
/// ```
public func withMoonshotClient<Value, Failure: Error>(
    _ configuration: APIConfiguration, retry: RetryPolicy = RetryPolicy(), timeouts: Timeouts = Timeouts(),
    onWait: (@Sendable (String) -> Void)? = nil, _ body: (MoonshotClient) async throws(Failure) -> Value
) async throws(Failure) -> Value {
    let client = MoonshotClient(configuration: configuration, retry: retry, timeouts: timeouts, onWait: onWait)
    let outcome: Result<Value, Failure>
    do { outcome = .success(try await body(client)) } catch { outcome = .failure(error) }
    await client.shutdown()
    return try outcome.get()
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import KimiAPI
import KimiMedia
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// `kimi-media serve`: an OpenAI-compatible HTTP server in front of the Moonshot API. Clients in
/// any language point their base URL here and send photos and videos as they are; every media part
/// is prepared by the one engine (``Preparer``) before the request goes on, delivered inline or
/// uploaded as the payload planner decides by exact body bytes (``RequestBuilder``), the same content
/// always under the same `ms://` id (``UploadCache``). One client (``MoonshotClient``) and so one rate
/// limiter serve every caller. See docs/gateway.md.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    let client: MoonshotClient
    let metrics = GatewayMetrics()
    let room: ServerRoom
    let slots: Slots
    let preparer: Preparer
    /// The allowed directories, resolved.
    let allowed: [String]
    /// This server's work folder: one folder per request inside, removed when its answer ends.
    let root: String
    /// Offline tokens of media this gateway uploaded, by file id: an `ms://` id it gave out counts offline too.
    let uploadedTokens = NIOLockedValueBox([String: Int]())
    let inFlight = NIOLockedValueBox(0)
    /// Requests whose media are being read and prepared now.
    let bodiesInFlight = NIOLockedValueBox(0)
    let sequence = NIOLockedValueBox(0)

    public init(configuration: GatewayConfiguration) throws {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw GatewayStartError(problems: problems) }
        self.configuration = configuration
        let metrics = metrics
        client = MoonshotClient(configuration: configuration.api, retry: configuration.retry,
                                timeouts: Self.timeouts(configuration),
                                onRateLimit: { metrics.upstreamRateLimited() })
        room = ServerRoom(capacity: MediaLoad(media: configuration.maxMediaInFlight, pixels: configuration.maxPixelsInFlight,
                                              seconds: configuration.maxVideoSecondsInFlight))
        slots = Slots(width: configuration.jobs)
        var preparer = configuration.preparer
        preparer.videoOptions.frames = .none  // the video file is what is sent; frames are not
        preparer.threadsPerImage = preparer.threadsPerImage ?? Preparer.threads(beside: configuration.jobs)
        self.preparer = preparer
        allowed = configuration.allowedDirectories.compactMap { dir in
            guard let resolved = realpath(dir, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        root = configuration.workDirectory + "/kimi-media-serve-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// The upstream's timeouts: a call's, an upload's (at least 900 s), and a silence inside an answer
    /// already begun (a stalled stream must not hold the rate-limit slot every client shares).
    static func timeouts(_ configuration: GatewayConfiguration) -> Timeouts {
        var timeouts = Timeouts(request: configuration.upstreamTimeout, upload: max(900, configuration.upstreamTimeout))
        timeouts.read = configuration.upstreamTimeout
        return timeouts
    }

    /// Runs until SIGTERM or SIGINT, or until the calling task is cancelled: then it stops accepting,
    /// finishes the requests in flight and returns. `onListening` hears the address once the socket
    /// is bound (`http://HOST:PORT/v1`).
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        let configuration = configuration
        let responder = CallbackResponder<BasicRequestContext> { [self] request, _ in await self.respond(request) }
        var logger = Logger(label: "kimi-media-serve")
        logger.logLevel = .critical
        let host = configuration.host
        let app = Application(
            responder: responder,
            server: .http1(configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [ConnectionDeadlines(headerTimeout: configuration.headerTimeout,
                                                                idleTimeout: configuration.idleTimeout)])),
            configuration: ApplicationConfiguration(address: .hostname(host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let shown = host.contains(":") ? "[\(host)]" : host
                onListening("http://\(shown):\(port)/v1")
            },
            logger: logger
        )
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await app.runService()
        await client.shutdown()
    }

    // MARK: Requests

    /// What one request did, for its headers, its log line and the metrics.
    final class Record: @unchecked Sendable {
        let id: String
        var route = "other"
        var media = 0
        var bytesIn: Int64 = 0
        var bytesOut: Int64 = 0
        var uploaded = 0
        var tokens: Int?
        var estimate: String?
        init(id: String) { self.id = id }
    }

    func respond(_ request: Request) async -> Response {
        let started = ContinuousClock.now
        let id = "kmg-" + String(sequence.withLockedValue { $0 += 1; return $0 }) + "-" + UUID().uuidString.prefix(8).lowercased()
        let record = Record(id: id)
        inFlight.withLockedValue { $0 += 1 }
        var response: Response
        var failure: String?
        do {
            try authorize(request)
            response = try await route(request, record)
        } catch let error as GatewayError {
            (response, failure) = (error.response, error.message)
        } catch {
            (response, failure) = (GatewayError(.internalServerError, "server_error", "\(error)").response, "\(error)")
        }
        inFlight.withLockedValue { $0 -= 1 }
        response.headers[Self.requestID] = id
        if record.media > 0 || record.route == "chat" || record.route == "estimate" {
            response.headers[Self.prepared] = String(record.media)
            response.headers[Self.bytesIn] = String(record.bytesIn)
            response.headers[Self.bytesOut] = String(record.bytesOut)
            response.headers[Self.uploaded] = String(record.uploaded)
            if let tokens = record.tokens { response.headers[Self.promptTokens] = String(tokens) }
            if let estimate = record.estimate { response.headers[Self.estimateHeader] = estimate }
        }
        metrics.answered(route: record.route, status: Int(response.status.code))
        if configuration.log { log(request, record, response.status.code, ContinuousClock.now - started, failure) }
        return response
    }

    static let requestID = HTTPField.Name("X-Request-Id")!
    static let prepared = HTTPField.Name("X-Kimi-Media-Prepared")!
    static let bytesIn = HTTPField.Name("X-Kimi-Media-Bytes-In")!
    static let bytesOut = HTTPField.Name("X-Kimi-Media-Bytes-Out")!
    static let uploaded = HTTPField.Name("X-Kimi-Media-Uploaded")!
    static let promptTokens = HTTPField.Name("X-Kimi-Media-Prompt-Tokens")!
    static let estimateHeader = HTTPField.Name("X-Kimi-Media-Estimate")!

    /// With `--client-keys`, every request but the health check carries one of them as its bearer
    /// key (compared in constant time). The upstream's key is never taken from a client.
    func authorize(_ request: Request) throws(GatewayError) {
        guard let keys = configuration.clientKeys else {
            // No keys: loopback only, and only for local programs — a web page that rebinds its name
            // to 127.0.0.1 (DNS rebinding) sends another Host, and a browser always sends an Origin.
            let host = request.head.authority ?? ""
            guard Self.isLocal(host) else {
                throw GatewayError(.forbidden, "permission_denied_error", "Host \(host) is not this machine's loopback name (without --client-keys the gateway answers only local programs)")
            }
            if let origin = request.headers[.origin], !Self.isLocal(URL(string: origin)?.host ?? origin) {
                throw GatewayError(.forbidden, "permission_denied_error", "requests from web pages (Origin \(origin)) are refused without --client-keys")
            }
            return
        }
        guard request.uri.path != "/healthz" else { return }
        let sent = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        var match = false
        for key in keys where Self.constantTimeEqual(key, sent) { match = true }
        guard match else { throw GatewayError(.unauthorized, "invalid_authentication_error", "Invalid Authentication: send one of the gateway's client keys as the bearer key") }
    }

    /// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
    static func isLocal(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("[") { name = String(name.dropFirst().prefix { $0 != "]" }) } else if let colon = name.lastIndex(of: ":"), name.filter({ $0 == ":" }).count == 1 {
            name = String(name[..<colon])
        }
        return APIConfiguration.isLoopback(name) || name == "0:0:0:0:0:0:0:1"
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }

    func route(_ request: Request, _ record: Record) async throws -> Response {
        let path = request.uri.path
        let parts = path.split(separator: "/").map(String.init)
        let method = request.method
        if method == .get && parts == ["healthz"] {
            record.route = "healthz"
            return Self.json(.ok, Data(#"{"status":"ok"}"#.utf8))
        }
        if method == .get && parts == ["metrics"] {
            record.route = "metrics"
            metrics.queue(depth: await room.queued + (await client.queueDepth()), inFlight: inFlight.withLockedValue { $0 })
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.text())))
        }
        if method == .post && parts == ["v1", "chat", "completions"] {
            record.route = "chat"
            return try await chat(request, record)
        }
        if method == .post && parts == ["v1", "tokenizers", "estimate-token-count"] {
            record.route = "estimate"
            return try await estimate(request, record)
        }
        let upstream = parts.dropFirst().joined(separator: "/")
        if method == .get && parts.first == "v1" && parts.dropFirst().first == "models" && parts.count <= 3 {
            record.route = "models"
            return try await pass(request, path: upstream, idempotent: true)
        }
        if parts.contains(where: { $0 == "." || $0 == ".." }) || path.contains("//") {
            throw GatewayError.invalid("the path \(path) has an empty, . or .. segment")
        }
        if parts.first == "v1" && parts.dropFirst().first == "files" && configuration.clientKeys != nil && !configuration.shareFilesAPI {
            throw GatewayError(.forbidden, "permission_denied_error",
                               "the Files API is not passed through to clients with keys: they would share one account's files (--share-files-api)")
        }
        if parts.first == "v1" && parts.dropFirst().first == "files" {
            let n = parts.count
            let known = (method == .get && (n == 2 || n == 3 || (n == 4 && parts[3] == "content")))
                || (method == .delete && n == 3) || (method == .post && n == 2)
            if known {
                record.route = "files"
                return try await pass(request, path: upstream, idempotent: method != .post)
            }
        }
        throw GatewayError(.notFound, "resource_not_found_error", "not found: \(method) \(path)")
    }

    static func json(_ status: HTTPResponse.Status, _ body: Data, headers extra: HTTPFields = HTTPFields()) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: Chat and estimate

    /// A client's body read and its media prepared: what the chat and the estimate share.
    struct Prepared {
        var folder: RequestFolder
        var tree: JSONValue
        var parts: [MediaPart]
        /// Per part: the prepared item (nil for an `ms://` passed through).
        var items: [PayloadItem?]
        var tokens: Int?
        var stream: Bool
    }

    func chat(_ request: Request, _ record: Record) async throws -> Response {
        let prepared = try await prepare(request, record)
        let body = try await build(prepared, record)
        let started = ContinuousClock.now
        let relayed: MoonshotClient.Relayed
        do {
            relayed = try await client.relay(.POST, "chat/completions", body: .file(body, contentType: "application/json"),
                                             accept: prepared.stream ? "text/event-stream" : "application/json",
                                             queueTimeout: configuration.queueTimeout, timeout: configuration.upstreamTimeout, idempotent: false)
        } catch { throw GatewayError(error) }
        metrics.upstream(route: "chat", seconds: Self.seconds(ContinuousClock.now - started))
        return Self.response(relayed, keeping: prepared.folder)
    }

    func estimate(_ request: Request, _ record: Record) async throws -> Response {
        let prepared = try await prepare(request, record)
        if !configuration.remoteEstimates, let tokens = prepared.tokens {
            record.estimate = "offline"
            let body = try JSONEncoder.canonical().encode(EstimateAnswer(tokens: tokens))
            return Self.json(.ok, body)
        }
        record.estimate = "remote"
        let body = try await build(prepared, record)
        let started = ContinuousClock.now
        let relayed: MoonshotClient.Relayed
        do {
            relayed = try await client.relay(.POST, "tokenizers/estimate-token-count", body: .file(body, contentType: "application/json"),
                                             queueTimeout: configuration.queueTimeout, timeout: configuration.upstreamTimeout, idempotent: true)
        } catch { throw GatewayError(error) }
        metrics.upstream(route: "estimate", seconds: Self.seconds(ContinuousClock.now - started))
        return Self.response(relayed, keeping: prepared.folder)
    }

    /// The estimate endpoint's documented answer: `{"code":0,"data":{"total_tokens":N},"scode":"0x0","status":true}`.
    struct EstimateAnswer: Encodable {
        struct Tokens: Encodable {
            var total_tokens: Int
        }
        var code = 0
        var data: Tokens
        var scode = "0x0"
        var status = true
        init(tokens: Int) { data = Tokens(total_tokens: tokens) }
    }

    /// Reads the body (data URLs decoded to files as they arrive), finds the media parts, checks the
    /// limits, and prepares every local medium — `jobs` files at a time across the whole server.
    func prepare(_ request: Request, _ record: Record) async throws -> Prepared {
        // Bodies read at once are bounded (each may be --max-body-bytes on disk): beyond, a 429.
        let admitted = bodiesInFlight.withLockedValue { count -> Bool in
            guard count < configuration.maxBodiesInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw GatewayError.busy("the gateway is reading \(configuration.maxBodiesInFlight) request bodies already; try again shortly", retryAfter: 1)
        }
        defer { bodiesInFlight.withLockedValue { $0 -= 1 } }
        let folder = try RequestFolder(in: root, id: record.id)
        let (skeleton, spooled) = try await spool(request.body, length: request.headers[.contentLength], into: folder.path)
        let tree: JSONValue
        do { tree = try JSONDecoder().decode(JSONValue.self, from: Data(skeleton)) } catch {
            throw GatewayError.invalid("the body is not valid JSON: \(Self.describe(error))")
        }
        if ChatMedia.holdsReserved(tree) {
            throw GatewayError.invalid("the body holds a string the gateway reserves (kimi-media-inline-N)")
        }
        let parts = try ChatMedia.parts(of: tree, spooled: spooled, allowed: allowed)
        guard parts.count <= configuration.maxMediaPerRequest else {
            throw GatewayError.tooLarge("the request has \(parts.count) media parts, more than this gateway takes in one request (\(configuration.maxMediaPerRequest))")
        }
        // Probe every local medium from its headers: kinds checked, the request's load known before any decoding.
        var infos: [Int: MediaInfo] = [:]
        var load = MediaLoad()
        let prober = Prober(options: preparer.probeOptions)
        for (i, part) in parts.enumerated() {
            let path: String
            switch part.source {
            case .reference: continue
            case .spooled(let media): path = media.path
            case .file(let file): path = file
            }
            let info: MediaInfo
            do { info = try prober.probe(path: path) } catch {
                throw GatewayError.invalid("\(part.field): the media cannot be read (\(error.stage.rawValue)): \(error.message)", param: part.field)
            }
            if info.kind != part.declaredKind {
                throw GatewayError.invalid("\(part.field): a \(part.type) holds \(info.kind == .video ? "a video" : "an image") (\(info.format.rawValue)); "
                    + "send it as \(info.kind == .video ? "video_url" : "image_url")", param: part.field)
            }
            infos[i] = info
            load = load + MediaLoad(media: 1, pixels: Int64(info.width) * Int64(info.height),
                                    seconds: info.kind == .video ? info.durationSeconds ?? 0 : 0)
        }
        if load.pixels > configuration.maxPixelsPerRequest {
            throw GatewayError.tooLarge("the request's media hold \(load.pixels) pixels, more than this gateway takes in one request (\(configuration.maxPixelsPerRequest))")
        }
        if load.seconds > configuration.maxVideoSecondsPerRequest {
            throw GatewayError.tooLarge("the request's videos last \(Int(load.seconds)) s, more than this gateway takes in one request (\(Int(configuration.maxVideoSecondsPerRequest)) s)")
        }
        if !load.fits(in: room.capacity) {
            throw GatewayError.tooLarge("the request's media are more than this whole gateway prepares at once")
        }
        // A request with nothing to prepare (text, ms:// ids) needs no room and waits for nobody.
        let roomy = load == MediaLoad() ? true : await room.reserve(load, patience: configuration.queueTimeout)
        guard roomy else {
            throw GatewayError.busy("the gateway is preparing as much as its limits allow; try again shortly", retryAfter: 5)
        }
        let reserved = load
        let prepared: [Int: PreparedMedia]
        do { prepared = try await prepareMedia(parts, infos: infos, in: folder, record) } catch {
            if reserved != MediaLoad() { await room.release(reserved) }
            throw error
        }
        if reserved != MediaLoad() { await room.release(reserved) }
        var items: [PayloadItem?] = Array(repeating: nil, count: parts.count)
        for (i, media) in prepared.sorted(by: { $0.key < $1.key }) {
            guard media.parts.isEmpty else {
                throw GatewayError.invalid("\(parts[i].field): the video would be split into \(media.parts.count) parts, which one request cannot carry",
                                           param: parts[i].field)
            }
            // Its files now belong to the request's folder (removed when the answer has been sent).
            media.keepFiles()
            do throws(KimiMediaError) { items[i] = try media.payloadItem(storingImageAs: folder.path + "/prepared-\(i)") } catch {
                throw GatewayError(error, field: parts[i].field)
            }
            record.media += 1
            record.bytesOut += media.bytes
        }
        // The rules of the API, checked on the request as it will be sent (media URLs stand in as
        // placeholders, which the URL rules do not judge), and its offline prompt tokens.
        var stand: [Int: String] = [:]
        for i in parts.indices where items[i] != nil { stand[i] = PayloadPlanner.placeholder(i) }
        let shaped = ChatMedia.setting(stand, of: parts, in: tree)
        var tokens: Int?
        if let chat = try? JSONDecoder().decode(ChatRequest.self, from: JSONEncoder.canonical().encode(shaped)) {
            let violations = chat.violations().filter { !$0.field.hasSuffix("_url.url") }
            if let first = violations.first {
                throw GatewayError.invalid("the request breaks \(counted(violations.count, "rule")) of the API: "
                    + violations.map(\.description).joined(separator: "; "), param: first.field)
            }
            var known = true
            let byURL = Dictionary(uniqueKeysWithValues: stand.map { ($0.value, items[$0.key]?.tokens ?? 0) })
            let uploaded = uploadedTokens.withLockedValue { $0 }
            let count = RequestTokens.count(chat.messages) { part in
                let url: String
                switch part {
                case .imageURL(let u), .videoURL(let u): url = u
                case .text: return 0
                }
                if let tokens = byURL[url] { return tokens }
                if url.hasPrefix("ms://"), let tokens = uploaded[String(url.dropFirst(5))] { return tokens }
                known = false
                return 0
            }
            tokens = known ? count : nil
        }
        record.tokens = tokens
        let used = Set(parts.compactMap { part -> String? in if case .spooled(let media) = part.source { return media.placeholder } else { return nil } })
        let restored = try ChatMedia.restoringStray(tree, spooled: spooled, used: used, limit: configuration.maxSkeletonBytes)
        var stream = false
        if case .object(let root) = tree, case .bool(true)? = root["stream"] { stream = true }
        return Prepared(folder: folder, tree: restored, parts: parts, items: items, tokens: tokens, stream: stream)
    }

    /// Prepares every local medium of a request, `jobs` files at a time across the whole server.
    func prepareMedia(_ parts: [MediaPart], infos: [Int: MediaInfo], in folder: RequestFolder, _ record: Record) async throws -> [Int: PreparedMedia] {
        var prepared: [Int: PreparedMedia] = [:]
        let preparer = preparer, slots = slots, metrics = metrics
        try await withThrowingTaskGroup(of: (Int, PreparedMedia).self) { group in
            for (i, part) in parts.enumerated() where infos[i] != nil {
                let path: String, bytesIn: Int64
                switch part.source {
                case .reference: continue
                case .spooled(let media): (path, bytesIn) = (media.path, media.bytes)
                case .file(let file): (path, bytesIn) = (file, FileSize.of(file) ?? 0)
                }
                record.bytesIn += bytesIn
                let field = part.field
                group.addTask {
                    await slots.acquire()
                    let started = ContinuousClock.now
                    let result: Result<PreparedMedia, KimiMediaError>
                    do throws(KimiMediaError) { result = .success(try await preparer.prepare(URL(fileURLWithPath: path), workFolder: URL(fileURLWithPath: folder.path))) } catch {
                        result = .failure(error)
                    }
                    await slots.release()
                    switch result {
                    case .success(let media):
                        metrics.prepared(kind: media.kind == .video ? "video" : "image", bytesIn: bytesIn, bytesOut: media.bytes,
                                         seconds: Self.seconds(ContinuousClock.now - started))
                        return (i, media)
                    case .failure(let error): throw GatewayError(error, field: field)
                    }
                }
            }
            for try await (i, media) in group { prepared[i] = media }
        }
        return prepared
    }

    /// The body to send, written into the request's folder: the planner decides inline or upload
    /// for all the prepared media together by the exact body size; uploads go through the cache.
    func build(_ prepared: Prepared, _ record: Record) async throws -> String {
        let indices = prepared.items.indices.filter { prepared.items[$0] != nil }
        let items = indices.map { prepared.items[$0]! }
        let planner = PayloadPlanner(limit: client.maxRequestBodyBytes, mode: configuration.payloadMode)
        let builder = RequestBuilder(planner: planner, client: client, cache: configuration.uploadCache)
        let (tree, parts) = (prepared.tree, prepared.parts)
        let path = prepared.folder.path + "/body.json"
        let built: BuiltRequest
        do throws(KimiMediaError) {
            built = try await builder.build(items: items, to: path) { deliveries, uploads in
                var urls: [Int: String] = [:]
                for (k, i) in indices.enumerated() {
                    urls[i] = deliveries[k] == .inline ? PayloadPlanner.placeholder(k) : PayloadPlanner.reference(uploads[k])
                }
                return try JSONEncoder.canonical().encode(ChatMedia.setting(urls, of: parts, in: tree))
            }
        } catch {
            switch error {
            case .request(let why) where why.message.contains("over the limit"): throw GatewayError.tooLarge(why.message)
            case .media(let why): throw GatewayError(.internalServerError, "server_error", "the gateway cannot write the body: \(why.message)")
            default: throw GatewayError(error, field: "messages")
            }
        }
        record.uploaded = built.uploads.count - built.reused.count
        uploadedTokens.withLockedValue { known in
            for (k, file) in built.uploads { if let tokens = items[k].tokens { known[file.id] = tokens } }
        }
        return path
    }

    /// `--max-body-bytes`, after refusing a body whose declared length is already over it.
    func bodyLimit(declared length: String?) throws(GatewayError) -> Int64 {
        let limit = configuration.maxBodyBytes
        if let length = length.flatMap(Int64.init), length > limit {
            throw .tooLarge("the body is \(length) bytes, more than this gateway takes (\(limit); --max-body-bytes)")
        }
        return limit
    }

    /// Reads a body as it arrives into the spooler, refusing it once it passes `--max-body-bytes`.
    func spool(_ body: RequestBody, length: String?, into folder: String) async throws -> (skeleton: [UInt8], media: [SpooledMedia]) {
        let limit = try bodyLimit(declared: length)
        var spooler = DataURLSpooler(folder: folder, maxSkeletonBytes: configuration.maxSkeletonBytes)
        spooler.maxDataURLs = configuration.maxMediaPerRequest + 16
        var total: Int64 = 0
        do {
            for try await buffer in body {
                total += Int64(buffer.readableBytes)
                guard total <= limit else {
                    spooler.abandon()
                    throw GatewayError.tooLarge("the body is more than this gateway takes (\(limit) bytes; --max-body-bytes)")
                }
                try buffer.withUnsafeReadableBytes { bytes in try spooler.feed(bytes) }
            }
            return try spooler.finish()
        } catch let error as DataURLSpooler.Failure {
            spooler.abandon()
            switch error {
            case .skeletonTooLarge(let most):
                throw GatewayError.tooLarge("the body's text outside its data URLs is more than \(most) bytes")
            case .tooManyDataURLs(let most):
                throw GatewayError.tooLarge("the body holds more than \(most) data URLs (--max-media \(configuration.maxMediaPerRequest))")
            case .write(let why): throw GatewayError(GatewayError.insufficientStorage, "server_error", "the gateway cannot store the media: \(why)")
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            spooler.abandon()
            throw GatewayError(.badRequest, "invalid_request_error", "the body could not be read: \(error)")
        }
    }

    // MARK: Passing through

    /// `GET /v1/models`, the Files API: sent on with the gateway's key (a body spooled to disk
    /// first, so a retry can send it again), the answer streamed back as it arrives.
    func pass(_ request: Request, path: String, idempotent: Bool) async throws -> Response {
        var body = MoonshotClient.RelayBody.none
        var folder: RequestFolder?
        if request.method == .post {
            let own = try RequestFolder(in: root, id: "pass-\(UUID().uuidString.prefix(8))")
            folder = own
            let file = own.path + "/body"
            try await save(request.body, length: request.headers[.contentLength], to: file)
            body = .file(file, contentType: request.headers[.contentType] ?? "application/octet-stream")
        }
        let query = request.uri.query.map { "?" + $0 } ?? ""
        let relayed: MoonshotClient.Relayed
        do {
            relayed = try await client.relay(request.method == .delete ? .DELETE : request.method == .post ? .POST : .GET, path + query,
                                             body: body, accept: request.headers[.accept] ?? "application/json",
                                             queueTimeout: configuration.queueTimeout, timeout: configuration.upstreamTimeout,
                                             idempotent: idempotent)
        } catch { throw GatewayError(error) }
        return Self.response(relayed, keeping: folder)
    }

    func save(_ body: RequestBody, length: String?, to file: String) async throws {
        let limit = try bodyLimit(declared: length)
        guard FileManager.default.createFile(atPath: file, contents: nil), let handle = FileHandle(forWritingAtPath: file) else {
            throw GatewayError(GatewayError.insufficientStorage, "server_error", "the gateway cannot store the body")
        }
        defer { try? handle.close() }
        var total: Int64 = 0
        for try await buffer in body {
            total += Int64(buffer.readableBytes)
            guard total <= limit else { throw GatewayError.tooLarge("the body is more than this gateway takes (\(limit) bytes; --max-body-bytes)") }
            try handle.write(contentsOf: buffer.readableBytesView)
        }
    }

    /// The upstream's answer as this gateway's: status, its headers worth passing on, the body as
    /// it arrives (server-sent events untouched). `folder` goes when the body has been sent.
    static func response(_ relayed: MoonshotClient.Relayed, keeping folder: RequestFolder?) -> Response {
        var headers = HTTPFields()
        for header in relayed.headers {
            if let name = HTTPField.Name(header.name) { headers[name] = header.value }
        }
        let body = KeepingBody(base: relayed.body, folder: folder)
        return Response(status: HTTPResponse.Status(code: relayed.status), headers: headers, body: ResponseBody(asyncSequence: body))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription + " " + (context.underlyingError.map { "\($0)" } ?? "") }
        return "\(error)"
    }

    func log(_ request: Request, _ record: Record, _ status: Int, _ elapsed: Duration, _ failure: String?) {
        var line: [String: JSONValue] = [
            "time": .string(Date.now.formatted(.iso8601)), "id": .string(record.id), "method": .string(request.method.rawValue),
            "path": .string(request.uri.path), "status": .number(Double(status)),
            "ms": .number((Self.seconds(elapsed) * 10_000).rounded() / 10),
        ]
        if record.media > 0 {
            line["media"] = .number(Double(record.media))
            line["bytes_in"] = .number(Double(record.bytesIn))
            line["bytes_out"] = .number(Double(record.bytesOut))
            line["uploaded"] = .number(Double(record.uploaded))
        }
        if let tokens = record.tokens { line["prompt_tokens"] = .number(Double(tokens)) }
        if let failure { line["error"] = .string(failure) }
        guard var data = try? JSONEncoder.canonical().encode(JSONValue.object(line)) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}

/// The gateway cannot start: each reason, in words.
public struct GatewayStartError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// A request's own folder (spooled media, prepared files, the body sent), removed with the last
/// value holding it — after the answer's body has been sent.
final class RequestFolder: Sendable {
    let path: String

    init(in root: String, id: String) throws(GatewayError) {
        path = root + "/" + id
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw GatewayError(GatewayError.insufficientStorage, "server_error", "the gateway cannot make a work folder: \(error.localizedDescription)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// An answer's body that holds its request's folder until it has been sent.
struct KeepingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RelayedBody
    let folder: RequestFolder?

    struct AsyncIterator: AsyncIteratorProtocol {
        var inner: RelayedBody.AsyncIterator
        let folder: RequestFolder?
        mutating func next() async throws -> ByteBuffer? { try await inner.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: base.makeAsyncIterator(), folder: folder) }
}

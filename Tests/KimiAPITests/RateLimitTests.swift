import Foundation
import KimiAPI
import Testing
import TestSupport

/// The entry tier as the real API was seen to enforce it: 1 request at a time, 3 a minute, 429s
/// with no rate-limit header and the wait only in the message. Minutes are scaled down.
@Suite("Rate limits: tiers and header-less 429s", .serialized)
struct RateLimitTests {
    func client(_ server: MoonshotStandIn, limits: RateLimits, retry: RetryPolicy = RetryPolicy(baseDelay: 0.05, maxDelay: 1),
                waits: WaitLog? = nil) throws -> MoonshotClient {
        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey),
                                                 rateLimits: limits)
        var onWait: (@Sendable (String) -> Void)?
        if let waits { onWait = { @Sendable line in waits.add(line) } }
        return MoonshotClient(configuration: configuration, retry: retry, onWait: onWait)
    }

    final class WaitLog: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    /// 20 remote estimates and 5 uploads, four at a time, against a stand-in that allows 1 at a time
    /// and 3 per 0.3 s and answers the rest with header-less 429s: every call succeeds, nothing is
    /// uploaded twice, and the whole takes at least as long as the tier allows.
    @Test func entryTierWithHeaderless429s() async throws {
        let window = 0.3
        let server = try await MoonshotStandIn.start(.init(tier: .init(concurrency: 1, requestsPerWindow: 3, window: window)))
        defer { Task { await server.stop() } }
        // A client that does not know the tier.
        try await scoped(try client(server, limits: .unlimited)) { api in
            let folder = try TemporaryFolder()
            let uploads = try (0..<5).map { try folder.write("clip-\($0).mp4", Array("not really a video \($0)".utf8)) }
            let start = Date()
            let results = try await withThrowingTaskGroup(of: String.self) { group in
                var started = 0
                func add(_ i: Int) {
                    if i < 20 {
                        group.addTask { String(try await api.estimateTokens(model: "kimi-k2.6", messages: [.user([.text("call \(i)")])])) }
                    } else {
                        group.addTask { try await api.upload(path: uploads[i - 20], purpose: .video, mimeType: "video/mp4").id }
                    }
                }
                while started < 4 { add(started); started += 1 }
                var done: [String] = []
                for try await result in group {
                    done.append(result)
                    if started < 25 { add(started); started += 1 }
                }
                return done
            }
            let elapsed = Date().timeIntervalSince(start)
            #expect(results.count == 25)
            #expect(server.fileCount == 5)  // none uploaded twice
            #expect(server.rateLimitedCount > 0)  // the 429s did happen, without headers
            // 25 requests at 3 per window: at least 8 full windows after the first three.
            #expect(elapsed >= window * 8 * 0.95, "elapsed \(elapsed) s")
        }
    }

    /// A client told its tier paces itself: the same 25 calls meet no 429 at all, and waits are said.
    @Test func pacedClientMeetsNo429() async throws {
        let window = 0.3
        let server = try await MoonshotStandIn.start(.init(tier: .init(concurrency: 1, requestsPerWindow: 3, window: window)))
        defer { Task { await server.stop() } }
        let waits = WaitLog()
        // The client's minute is 20 % longer than the server's: a scaled window of 0.3 s leaves
        // too little room for a loaded machine's scheduling (a real minute leaves plenty).
        try await scoped(try client(server, limits: RateLimits(concurrency: 1, requestsPerMinute: 3, window: window * 1.2), waits: waits)) { api in
            let start = Date()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<12 { group.addTask { try await api.estimateTokens(model: "kimi-k2.6", messages: [.user([.text("\(i)")])]) } }
                for try await _ in group {}
            }
            #expect(server.rateLimitedCount == 0)
            #expect(Date().timeIntervalSince(start) >= window * 3 * 0.95)  // 12 calls: 3 windows after the first
            #expect(server.requests.count == 12)
        }
    }

    /// The wait stated in a 429's message is honoured when no header gives one.
    @Test func waitFromTheMessage() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server, limits: .unlimited, retry: RetryPolicy(maxAttempts: 1, baseDelay: 0.01, maxDelay: 0.01))) { api in
            server.enqueue(.rateLimitedInMessage(wait: 0.6), times: 2)
            let start = Date()
            let files = try await api.listFiles()
            #expect(files.isEmpty)  // two 429s do not use up the one ordinary attempt
            #expect(Date().timeIntervalSince(start) >= 1.1)
            #expect(server.requests.count == 3)
        }
    }

    @Test func messageDelays() {
        #expect(RetryPolicy.messageDelay("request reached max request: 3, please try again after 1 seconds") == 1)
        #expect(RetryPolicy.messageDelay("Please retry after 20s.") == 20)
        #expect(RetryPolicy.messageDelay("try again in 1.5 seconds") == 1.5)
        #expect(RetryPolicy.messageDelay("please try again after 2 minutes") == 120)
        #expect(RetryPolicy.messageDelay("try again after 250ms") == 0.25)
        #expect(RetryPolicy.messageDelay("request reached project TPM rate limit, current: 1410, limit: 100") == nil)
    }

    /// A chat is not sent twice after a timeout (the server may have billed it); an upload whose
    /// answer was lost is found on the server instead of being stored twice.
    @Test func postsAreNotRepeatedBlindly() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey))
        try await scoped(MoonshotClient(configuration: configuration, retry: RetryPolicy(baseDelay: 0.01, maxDelay: 0.05), timeouts: Timeouts(request: 0.3, upload: 0.3))) { api in
            server.enqueue(.delay(0.8))
            await #expect(throws: APIError.self) { try await api.chat(ChatRequest(messages: [.user([.text("hello")])])) }
            #expect(server.requests.filter { $0.hasSuffix("/chat/completions") }.count == 1)
            // The upload arrives (the stand-in stores it) but its answer comes too late.
            let folder = try TemporaryFolder()
            let path = try folder.write("late.mp4", Array("bytes that arrive".utf8))
            server.enqueue(.delay(0.8))
            let file = try await api.upload(path: path, purpose: .video, mimeType: "video/mp4")
            try await Task.sleep(nanoseconds: 600_000_000)
            #expect(server.fileCount == 1 && file.filename == "late.mp4")
            #expect(server.requests.filter { $0 == "POST /v1/files" }.count == 1)
        }
    }

    /// A chat body over the limit is refused before anything is sent (three 40 MB images inline
    /// would make a ~160 MB body); streamed or not.
    @Test func oversizedBodiesAreNotSent() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey))
        try await scoped(MoonshotClient(configuration: configuration, maxRequestBodyBytes: 1_000)) { api in
            let big = ChatRequest(messages: [.user([.text(String(repeating: "many words ", count: 200))])])
            do throws(APIError) {
                _ = try await api.chat(big)
                Issue.record("an oversized body was sent")
            } catch {
                #expect(error.kind == .invalidRequest && error.message.contains("over the limit of 1000"))
            }
            await #expect(throws: APIError.self) { for try await _ in api.chatStream(big) {} }
            #expect(server.requests.isEmpty)
            let answer = try await api.chat(ChatRequest(messages: [.user([.text("short")])]))
            #expect(answer.text?.isEmpty == false)
        }
    }

    @Test func quotaIsNeverRetried() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server, limits: .unlimited)) { api in
            server.enqueue(.status(429, type: "rate_limit_reached_error"))
            server.enqueue(.status(403, type: "permission_denied_error"))
            await #expect(throws: APIError.self) { try await api.listFiles() }  // the 429 is waited out, the 403 stops
            #expect(server.requests.count == 2)
            #expect(APIError(.http, status: 429, message: "Your account has insufficient balance", endpoint: "x").isQuotaExhausted)
        }
    }

    @Test func limitsResolve() throws {
        let remote = URL(string: "https://api.moonshot.ai/v1")!, local = URL(string: "http://127.0.0.1:9/v1")!
        #expect(try RateLimits.resolve(baseURL: remote, environment: [:]) == .entryTier)
        #expect(try RateLimits.resolve(baseURL: local, environment: [:]) == .unlimited)
        let raised = try RateLimits.resolve(baseURL: remote, environment: ["MOONSHOT_RPM": "200", "MOONSHOT_MAX_CONCURRENCY": "50"])
        #expect(raised.requestsPerMinute == 200 && raised.concurrency == 50)
        #expect(try RateLimits.resolve(requestsPerMinute: "unlimited", baseURL: remote, environment: ["MOONSHOT_RPM": "5"]).requestsPerMinute == nil)
        #expect(throws: ConfigurationError.self) { try RateLimits.resolve(requestsPerMinute: "-3", baseURL: remote, environment: [:]) }
    }

    /// Error bodies with a numeric `code` and usage with cached prompt tokens are read.
    @Test func lenientShapes() throws {
        let error = try JSONDecoder().decode(ErrorBody.self, from: Data(#"{"error":{"type":"invalid_request_error","message":"m","code":1001}}"#.utf8))
        #expect(error.error.type == "invalid_request_error" && error.error.code == "1001")
        let usage = try JSONDecoder().decode(ChatResponse.Usage.self, from: Data(
            #"{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105,"prompt_tokens_details":{"cached_tokens":64}}"#.utf8))
        #expect(usage.cachedTokens == 64)
        let flat = try JSONDecoder().decode(ChatResponse.Usage.self, from: Data(#"{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10,"cached_tokens":8}"#.utf8))
        #expect(flat.cachedTokens == 8)
    }
}

import Foundation
import KimiAPI
import MediaCodecs
import MediaCore
import Testing
import TestSupport

/// The client against the loopback stand-in: every endpoint, error and fault.
@Suite("Moonshot client against the stand-in", .serialized)
struct ClientTests {
    static let fast = RetryPolicy(maxAttempts: 4, baseDelay: 0.01, maxDelay: 0.05, jitter: 0.2)

    func client(_ server: MoonshotStandIn, key: String? = nil, retry: RetryPolicy = fast, timeouts: Timeouts = Timeouts()) throws -> MoonshotClient {
        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(key ?? server.options.apiKey))
        return MoonshotClient(configuration: configuration, retry: retry, timeouts: timeouts)
    }

    func dataURL(_ path: String, _ mime: String) throws -> String {
        "data:\(mime);base64," + (try Data(contentsOf: URL(fileURLWithPath: path))).base64EncodedString()
    }

    /// The remote count equals the offline one: the stand-in counts with its own transcription of the
    /// spec (``StandInTokens``), so this compares two implementations; the words here tokenize the same
    /// under both text rules.
    @Test func estimateRoundTrip() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server)) { api in
            let image = Fixture.image("jpeg-baseline.jpg")
            let info = try MediaProber.probe(path: image)
            let messages: [ChatMessage] = [.system("Be brief."), .user([.imageURL(try dataURL(image, "image/jpeg")), .text("What is this?")])]
            let remote = try await api.estimateTokens(model: "kimi-k2.6", messages: messages)
            let imageTokens = ImageTokens(width: info.width, height: info.height).promptTokens()
            #expect(remote == RequestTokens.count(messages) { _ in imageTokens })
            #expect(remote == 2 * 4 + 4 + StandInTokens.text("Be brief.") + StandInTokens.text("What is this?")
                    + StandInTokens.image(width: info.storedWidth, height: info.storedHeight))
            await #expect(throws: APIError.self) { try await api.estimateTokens(model: "gpt-4", messages: messages) }
            do throws(APIError) {
                _ = try await api.estimateTokens(model: "kimi-k2.6", messages: [ChatMessage(role: .user, content: .text(""))])
                Issue.record("an empty message was accepted")
            } catch {
                #expect(error.status == 400 && error.type == "invalid_request_error")
            }
        }
    }

    @Test func wrongKeyIsUnauthorizedAndNeverPrinted() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        let secret = "sk-wrong-key-that-must-not-leak-42"
        try await scoped(try client(server, key: secret)) { api in
            do throws(APIError) {
                _ = try await api.listFiles()
                Issue.record("a wrong key was accepted")
            } catch {
                #expect(error.status == 401 && error.type == "invalid_authentication_error" && error.attempts == 1)
                #expect(!error.description.contains(secret) && !"\(error)".contains(secret) && !String(reflecting: error).contains(secret))
            }
            try await scoped(MoonshotClient(configuration: try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: nil))) { noKey in
                await #expect(throws: APIError.self) { try await noKey.listFiles() }
                #expect(server.requests.count == 1)  // no key: nothing sent
            }
        }
    }

    @Test func filesLifecycleAndCache() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server)) { api in
            let folder = try TemporaryFolder()
            let video = try folder.copy(Fixture.video("with-audio.mp4"), as: "clip \"one\".mp4")
            let uploaded = try await api.upload(path: video, purpose: .video, mimeType: "video/mp4")
            #expect(uploaded.bytes == (try FileManager.default.attributesOfItem(atPath: video)[.size] as? Int64))
            #expect(uploaded.purpose == "video" && uploaded.filename == "clip _one_.mp4")
            #expect(try await api.listFiles().map(\.id) == [uploaded.id])
            #expect(try await api.file(id: uploaded.id) == uploaded)
            #expect(try await api.deleteFile(id: uploaded.id))
            do throws(APIError) {
                _ = try await api.file(id: uploaded.id)
                Issue.record("a deleted file was found")
            } catch {
                #expect(error.status == 404)
            }
            // The cache: the same bytes are uploaded once; a file deleted on the server is uploaded again.
            let cache = UploadCache(path: folder.path + "/cache/uploads.json")
            let first = try await api.uploadOnce(path: video, purpose: .video, mimeType: "video/mp4", cache: cache)
            let copy = try folder.copy(video, as: "same-bytes.mp4")
            let second = try await api.uploadOnce(path: copy, purpose: .video, mimeType: "video/mp4", cache: cache)
            #expect(!first.reused && second.reused && first.0.id == second.0.id)
            #expect(server.fileCount == 1)
            _ = try await api.deleteFile(id: first.0.id)
            let third = try await api.uploadOnce(path: video, purpose: .video, mimeType: "video/mp4", cache: cache)
            #expect(!third.reused && third.0.id != first.0.id)
            let stored = try String(contentsOfFile: cache.path, encoding: .utf8)
            #expect(!stored.contains(server.options.apiKey) && stored.contains(third.0.id))
        }
    }

    /// A symbolic link is uploaded as its target: the declared length is the target's, so the
    /// body arrives whole (it was the link's 253 bytes, and the stream then failed with
    /// `bodyLengthMismatch` after the server had stored a cut file).
    @Test func uploadThroughSymbolicLink() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server)) { api in
            let folder = try TemporaryFolder()
            let target = try folder.copy(Fixture.image("jpeg-baseline.jpg"), as: "photos/original.jpg")
            let link = folder.path + "/link.jpg"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "photos/original.jpg")
            let uploaded = try await api.upload(path: link, purpose: .image, mimeType: "image/jpeg")
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: target)))
            #expect(uploaded.bytes == Int64(bytes.count) && uploaded.filename == "link.jpg")
            #expect(server.storedContent(id: uploaded.id) == bytes)
            #expect(server.fileCount == 1)
        }
    }

    /// An upload that fails on every attempt, each of which stored a cut file on the server, leaves
    /// nothing on the account; so does one cancelled while its answer is on the way.
    @Test func failedUploadsLeaveNothingStored() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server)) { api in
            let folder = try TemporaryFolder()
            let file = try folder.copy(Fixture.image("jpeg-baseline.jpg"), as: "photo.jpg")
            server.enqueue(.storedPartly, times: Self.fast.maxAttempts, on: "POST /v1/files")
            do throws(APIError) {
                _ = try await api.upload(path: file, purpose: .image, mimeType: "image/jpeg")
                Issue.record("an upload whose every attempt failed succeeded")
            } catch {
                #expect(error.status == 500 && error.attempts == 1)
            }
            let uploads = server.requests.filter { $0 == "POST /v1/files" }.count
            #expect(uploads == Self.fast.maxAttempts)
            #expect(server.requests.filter { $0.hasPrefix("DELETE /v1/files/") }.count == uploads)
            #expect(server.fileCount == 0)

            // Cancelled after the server stored it, before its answer came: cleaned up too.
            server.enqueue(.delay(5), on: "POST /v1/files")
            let upload = Task { try await api.upload(path: file, purpose: .image, mimeType: "image/jpeg") }
            for _ in 0..<500 where server.fileCount == 0 { try await Task.sleep(nanoseconds: 10_000_000) }
            #expect(server.fileCount == 1)
            upload.cancel()
            await #expect(throws: (any Error).self) { try await upload.value }
            #expect(server.fileCount == 0)
        }
    }

    /// A refused connection reads as one: "cannot connect to 127.0.0.1:PORT: connection refused"
    /// (it read "Connection errors: SingleConnectionFailure(…, error: connection reset (error set): …
    /// (errno: 111))"), and an app's `localizedDescription` is the message, not Foundation's
    /// "The operation could not be completed".
    @Test func refusedConnectionInWords() async throws {
        let closed = try await MoonshotStandIn.start()
        let port = closed.port
        await closed.stop()
        let configuration = try APIConfiguration(baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!, apiKey: APIKey("sk-test-refused"))
        let api = MoonshotClient(configuration: configuration, retry: RetryPolicy(maxAttempts: 1))
        do throws(APIError) {
            _ = try await api.listFiles()
            Issue.record("a closed port answered")
        } catch {
            #expect(error.kind == .transport)
            #expect(error.message.hasPrefix("cannot connect to 127.0.0.1:\(port): connection refused"), "\(error.message)")
            #expect(error.localizedDescription == error.description && !error.description.contains("errno"))
        }
        await api.shutdown()
    }

    /// A relative upload cache is kept where it was named (it was never saved: its folder was ""),
    /// and a cache that cannot be saved is said, not swallowed.
    @Test func uploadCacheIsSavedOrSaid() async throws {
        #expect(UploadCache(path: "uc.json").path == FileManager.default.currentDirectoryPath + "/uc.json")
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        let folder = try TemporaryFolder()
        _ = try folder.write("blocker", [1])  // a file where the cache's folder should be
        let heard = Heard()
        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey))
        try await scoped(MoonshotClient(configuration: configuration, retry: Self.fast, onWait: { heard.add($0) })) { api in
            let cache = UploadCache(path: folder.path + "/blocker/uploads.json")
            let (file, reused) = try await api.uploadOnce(path: Fixture.image("png-rgb.png"), purpose: .image, mimeType: "image/png", cache: cache)
            #expect(!reused && !file.id.isEmpty)
            #expect(heard.lines.contains { $0.hasPrefix("warning: cannot save the upload cache") && $0.contains(file.id) })
        }
    }

    @Test func uploadRulesLocalAndRemote() async throws {
        let server = try await MoonshotStandIn.start(.init(maxUploadBytes: 10_000, maxFiles: 2))
        defer { Task { await server.stop() } }
        try await scoped(try client(server)) { api in
            let folder = try TemporaryFolder()
            let empty = try folder.write("empty.png", [])
            do throws(APIError) {
                _ = try await api.upload(path: empty, purpose: .image, mimeType: "image/png")
                Issue.record("an empty file was sent")
            } catch {
                #expect(error.kind == .invalidRequest)
            }
            let big = try folder.write("big.bin", [UInt8](repeating: 7, count: 2_000))
            do throws(APIError) {
                _ = try await api.upload(path: big, purpose: .image, mimeType: "image/png", limits: .init(maxUploadBytes: 1_000))
                Issue.record("an oversized file was sent")
            } catch {
                #expect(error.kind == .invalidRequest && error.message.contains("at most 1000"))
            }
            #expect(server.requests.isEmpty)  // both refused before sending
            let large = try folder.write("large.bin", [UInt8](repeating: 1, count: 20_000))
            do throws(APIError) {
                _ = try await api.upload(path: large, purpose: .image, mimeType: "image/png")
                Issue.record("the stand-in took a file over its limit")
            } catch {
                #expect(error.status == 400 && error.message.hasPrefix("File size is too large"))
            }
            let small = try folder.write("small.bin", [1, 2, 3])
            _ = try await api.upload(path: small, purpose: .image, mimeType: "image/png")
            _ = try await api.upload(path: small, purpose: .fileExtract, mimeType: "text/plain")
            do throws(APIError) {
                _ = try await api.upload(path: small, purpose: .image, mimeType: "image/png")
                Issue.record("the file-count quota was not enforced")
            } catch {
                #expect(error.message.contains("exceeded the max file count 2"))
            }
        }
    }

    @Test func chatValidatedThenSent() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server)) { api in
            do throws(APIError) {
                _ = try await api.chat(ChatRequest(messages: [.user([.text("hi")])], temperature: 0.2))
                Issue.record("an invalid request was sent")
            } catch {
                #expect(error.kind == .invalidRequest && error.violations.map(\.field) == ["temperature"])
                #expect(error.description.contains("temperature"))
            }
            #expect(server.requests.isEmpty)
            let image = Fixture.image("jpeg-baseline.jpg")
            let answer = try await api.chat(ChatRequest(messages: [.user([.imageURL(try dataURL(image, "image/jpeg")), .text("Describe.")])]))
            #expect(answer.text?.hasPrefix("stand-in answer: 1 image(s), 0 video(s)") == true)
            #expect((answer.usage?.promptTokens ?? 0) > 0)
        }
    }

    /// The stand-in refuses what the real API refuses, with the documented messages, even when the
    /// client's own validation is bypassed (a body file is posted as it is).
    @Test func standInEnforcesTheChatRules() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server)) { api in
            let folder = try TemporaryFolder()
            func post(_ request: ChatRequest) async -> APIError? {
                let path = folder.path + "/body-\(UUID().uuidString).json"
                _ = FileManager.default.createFile(atPath: path, contents: try? request.body())
                do {
                    _ = try await api.chat(bodyFile: path)
                    return nil
                } catch {
                    return error
                }
            }
            let call = ToolCall(id: "c1", name: "look_up", arguments: "{}")
            let noReasoning = ChatRequest(messages: [.user([.text("q")]), ChatMessage(role: .assistant, content: nil, toolCalls: [call]),
                                                     ChatMessage(role: .tool, content: .text("1"), toolCallID: "c1")])
            #expect(await post(noReasoning)?.message
                    == "thinking is enabled but reasoning_content is missing in assistant tool call message at index 1")
            #expect(await post(ChatRequest(messages: [.user([.text("q")])], temperature: 0.3))?.message.contains("temperature") == true)
            #expect(await post(ChatRequest(model: "kimi-k9", messages: [.user([.text("q")])]))?.status == 404)
            #expect(await post(ChatRequest(messages: [.user([.imageURL("data:image/png;base64,AAAA")])]))?.status == 400)  // not an image
            #expect(await post(ChatRequest(messages: [.user([.text("q")])])) == nil)
        }
    }

    @Test func retriesHonourFaults() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        try await scoped(try client(server)) { api in
            server.enqueue(.status(429, type: "rate_limit_reached_error", headers: ["Retry-After": "0", "X-RateLimit-Remaining": "0"]))
            server.enqueue(.status(500, type: "server_error"))
            server.enqueue(.drop)
            let files = try await api.listFiles()
            #expect(files.isEmpty)
            #expect(server.requests.count == 4)
            server.enqueue(.status(503, type: "engine_overloaded_error"), times: 4)
            do throws(APIError) {
                _ = try await api.listFiles()
                Issue.record("four 503s did not fail")
            } catch {
                #expect(error.status == 503 && error.attempts == 4 && error.type == "engine_overloaded_error")
            }
            // An exhausted balance is not retried; an error body inside a 200 is an error.
            server.enqueue(.status(429, type: "exceeded_current_quota_error"))
            await #expect(throws: APIError.self) { try await api.listFiles() }
            server.enqueue(.errorIn200)
            do throws(APIError) {
                _ = try await api.listFiles()
                Issue.record("an error in a 200 was taken as success")
            } catch {
                #expect(error.status == 200 && error.type == "server_error" && error.attempts == 1)
            }
            let seen = server.requests.count
            #expect(seen == 10)  // 4 + 4 + 1 + 1
        }
    }

    @Test func timeoutsAndCaps() async throws {
        let server = try await MoonshotStandIn.start(.init(maxBodyBytes: 1_000))
        defer { Task { await server.stop() } }
        try await scoped(try client(server, retry: .none, timeouts: Timeouts(request: 0.3))) { slow in
            server.enqueue(.delay(1.5))
            do throws(APIError) {
                _ = try await slow.listFiles()
                Issue.record("a slow answer did not time out")
            } catch {
                #expect(error.kind == .timeout)
            }
            try await scoped(try client(server, retry: .none, timeouts: Timeouts(maxResponseBytes: 20))) { capped in
                do throws(APIError) {
                    _ = try await capped.listFiles()
                    Issue.record("an answer over the cap was read")
                } catch {
                    #expect(error.kind == .invalidResponse)
                }
                try await scoped(try client(server)) { api in
                    let long = String(repeating: "word ", count: 400)
                    do throws(APIError) {
                        _ = try await api.estimateTokens(model: "kimi-k2.6", messages: [.user([.text(long)])])
                        Issue.record("a body over the stand-in's cap was taken")
                    } catch {
                        #expect(error.status == 400 && error.message.contains("exceeds 1000 bytes"))
                    }
                }
            }
        }
    }

    @Test func retryPolicyArithmetic() {
        let policy = RetryPolicy(maxAttempts: 4, baseDelay: 1, maxDelay: 30, jitter: 0)
        #expect((1...4).map { policy.delay(afterAttempt: $0, serverAsked: nil) } == [1, 2, 4, 8])
        #expect(policy.delay(afterAttempt: 1, serverAsked: 5) == 5)
        #expect(policy.delay(afterAttempt: 1, serverAsked: 100) == 30)
        #expect(RetryPolicy.serverDelay(retryAfter: "3", rateLimitReset: nil, now: 0) == 3)
        #expect(RetryPolicy.serverDelay(retryAfter: nil, rateLimitReset: "1700000010", now: 1_700_000_000) == 10)
        #expect(RetryPolicy.serverDelay(retryAfter: nil, rateLimitReset: "7", now: 1_700_000_000) == 7)
        #expect(RetryPolicy.serverDelay(retryAfter: nil, rateLimitReset: nil, now: 0) == nil)
    }
}

/// Lines a client said through its `onWait`.
final class Heard: @unchecked Sendable {
    private let lock = NSLock()
    private var said: [String] = []
    func add(_ line: String) { lock.withLock { said.append(line) } }
    var lines: [String] { lock.withLock { said } }
}

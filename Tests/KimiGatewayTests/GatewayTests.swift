import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import KimiGateway
import KimiMedia
import TestSupport

/// The spooler alone: data URLs decoded into files whatever the chunking, the rest kept as JSON.
@Suite struct DataURLSpoolerTests {
    /// A body as Python's `json.dumps` and PHP's `json_encode` (slashes escaped) would write it, with
    /// base64 broken into lines (`\n` escapes, as MIME encoders do), strings that only look like data
    /// URLs, and escaped quotes.
    func body(_ payloads: [[UInt8]]) -> (text: String, expected: [[UInt8]]) {
        let plain = Data(payloads[0]).base64EncodedString()
        let slashed = Data(payloads[1]).base64EncodedString().replacingOccurrences(of: "/", with: "\\/")
        let lined = Data(payloads[2]).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
            .replacingOccurrences(of: "\n", with: "\\n")
        let text = """
            {"model":"kimi-k2.6","note":"say \\"data:x\\" and data","messages":[{"role":"user","content":[\
            {"type":"image_url","image_url":{"url":"data:image/png;base64,\(plain)"}},\
            {"type":"text","text":"data:text/plain,hello \\\\ \\u00e9"},\
            {"type":"image_url","image_url":"data:image\\/heic;base64,\(slashed)"},\
            {"type":"video_url","video_url":{"url":"data:video/x-matroska;base64,\(lined)"}}]}],"database":[1,2.5,true,null]}
            """
        return (text, payloads)
    }

    @Test(arguments: [1, 3, 7, 64, 4096, 1 << 20])
    func decodesWhateverTheChunking(chunk: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let payloads = [0, 1, 2].map { i in (0..<(1000 + i * 777)).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let (text, expected) = body(payloads)
        let folder = try TemporaryFolder()
        var spooler = DataURLSpooler(folder: folder.path, maxSkeletonBytes: 1 << 20)
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            try bytes[start..<min(bytes.count, start + chunk)].withUnsafeBytes { try spooler.feed($0) }
        }
        let (skeleton, media) = try spooler.finish()
        #expect(media.count == 3)
        #expect(media.map(\.mimeType) == ["image/png", "image/heic", "video/x-matroska"])
        for (item, payload) in zip(media, expected) {
            #expect(item.problem == nil)
            #expect(item.bytes == Int64(payload.count))
            #expect(Array(FileManager.default.contents(atPath: item.path) ?? Data()) == payload)
        }
        // The skeleton is the same JSON with each data URL's string replaced by its placeholder.
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(skeleton)) as? [String: Any])
        #expect(parsed["note"] as? String == "say \"data:x\" and data")
        let content = try #require(((parsed["messages"] as? [[String: Any]])?.first?["content"]) as? [[String: Any]])
        #expect((content[0]["image_url"] as? [String: String])?["url"] == media[0].placeholder)
        #expect(content[1]["text"] as? String == "data:text/plain,hello \\ é")
        #expect(content[2]["image_url"] as? String == media[1].placeholder)
        #expect((content[3]["video_url"] as? [String: String])?["url"] == media[2].placeholder)
        #expect((parsed["database"] as? [Any])?.count == 4)
    }

    @Test(arguments: [("AAA*AAAA", "'*'"), ("QUJDRA=A", "after its padding"), ("QUJDR", "single character"), ("AB\\\"CD", "JSON escape"), ("", "empty")])
    func refusesWhatIsNotBase64(base64: String, says: String) throws {
        let folder = try TemporaryFolder()
        var spooler = DataURLSpooler(folder: folder.path, maxSkeletonBytes: 1 << 20)
        let text = #"{"u":"data:image/png;base64,"# + base64 + #""}"#
        try Array(text.utf8).withUnsafeBytes { try spooler.feed($0) }
        let (_, media) = try spooler.finish()
        #expect(media.count == 1)
        #expect(media[0].problem?.contains(says) == true, "\(media[0].problem ?? "no problem")")
    }

    @Test func boundsTheTextOutsideDataURLs() throws {
        let folder = try TemporaryFolder()
        var spooler = DataURLSpooler(folder: folder.path, maxSkeletonBytes: 100)
        let text = #"{"text":""# + String(repeating: "x", count: 200) + #"","u":"data:image/png;base64,"# + String(repeating: "A", count: 10_000) + "\"}"
        #expect(throws: DataURLSpooler.Failure.skeletonTooLarge(100)) {
            try Array(text.utf8).withUnsafeBytes { try spooler.feed($0) }
        }
    }
}

@Suite struct AllowedFileTests {
    @Test func linksAndDotsAreResolvedBeforeTheCheck() throws {
        let folder = try TemporaryFolder()
        let allowed = folder.path + "/allowed"
        try FileManager.default.createDirectory(atPath: allowed, withIntermediateDirectories: true)
        let inside = try folder.write("allowed/photo.jpg", [1, 2, 3])
        let outside = try folder.write("secret.jpg", [4, 5, 6])
        try FileManager.default.createSymbolicLink(atPath: allowed + "/link.jpg", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: allowed + "/inner.jpg", withDestinationPath: inside)
        let roots = [URL(fileURLWithPath: allowed).resolvingSymlinksInPath().path]
        func check(_ path: String) -> String? { try? ChatMedia.allowedFile(path, field: "f", allowed: roots) }
        #expect(check(inside) == URL(fileURLWithPath: inside).resolvingSymlinksInPath().path)
        #expect(check(allowed + "/inner.jpg") != nil)
        #expect(check(allowed + "/link.jpg") == nil)
        #expect(check(allowed + "/../secret.jpg") == nil)
        #expect(check(outside) == nil)
        #expect(check(allowed + "/missing.jpg") == nil)
        #expect(check(allowed) == nil)  // a directory
        #expect((try? ChatMedia.allowedFile(inside, field: "f", allowed: [])) == nil)
        // A directory named like the allowed one plus a suffix is not inside it.
        try FileManager.default.createDirectory(atPath: allowed + "-b", withIntermediateDirectories: true)
        let sibling = try folder.write("allowed-b/x.jpg", [7])
        #expect(check(sibling) == nil)
    }
}

@Suite struct ServerRoomTests {
    @Test func waitsFirstComeFirstServedAndGivesUp() async {
        let room = ServerRoom(capacity: MediaLoad(media: 2, pixels: 100, seconds: 10))
        #expect(await room.reserve(MediaLoad(media: 2, pixels: 50), patience: 1))
        #expect(await room.reserve(MediaLoad(media: 1), patience: 0.2) == false)
        async let waiting = room.reserve(MediaLoad(media: 1, pixels: 50), patience: 5)
        try? await Task.sleep(nanoseconds: 100_000_000)
        await room.release(MediaLoad(media: 2, pixels: 50))
        #expect(await waiting)
    }
}

/// A gateway in this process in front of the stand-in, reached over HTTP.
@Suite(.serialized) struct GatewayServerTests {
    struct Running {
        let gateway: Gateway
        let base: String
        let task: Task<Void, any Error>
        func stop() async {
            task.cancel()
            _ = try? await task.value
        }
    }

    func start(_ standIn: MoonshotStandIn, limits: RateLimits = .unlimited, _ change: (inout GatewayConfiguration) -> Void = { _ in })
        async throws -> Running {
        var settings = GatewayConfiguration(api: try APIConfiguration(baseURL: URL(string: standIn.baseURL)!, apiKey: APIKey(standIn.options.apiKey),
                                                                      rateLimits: limits))
        settings.port = 0
        settings.log = false
        settings.uploadCache = UploadCache(path: NSTemporaryDirectory() + "/kimi-gateway-cache-\(UUID().uuidString).json")
        change(&settings)
        let gateway = try Gateway(configuration: settings)
        let (addresses, continuation) = AsyncStream.makeStream(of: String.self)
        let task = Task { try await gateway.run { continuation.yield($0) } }
        var iterator = addresses.makeAsyncIterator()
        let base = try #require(await iterator.next())
        return Running(gateway: gateway, base: base, task: task)
    }

    static let png: String = {
        let bytes = FileManager.default.contents(atPath: Fixture.image("png-rgb.png")) ?? Data()
        return "data:image/png;base64," + bytes.base64EncodedString()
    }()

    func chat(_ base: String, _ url: String = png) async throws -> (status: Int, headers: [String: String], body: String) {
        let body = #"{"model":"kimi-k2.6","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":""# + url
            + #""}},{"type":"text","text":"what is it?"}]}]}"#
        var request = HTTPClientRequest(url: base + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a }), text)
    }

    @Test func sameContentFromManyClientsAtOnceIsUploadedOnce() async throws {
        let standIn = try await MoonshotStandIn.start()
        let running = try await start(standIn) { $0.payloadMode = .uploadAll }
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await chat(running.base).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(answers == Array(repeating: 200, count: 8))
        #expect(standIn.fileCount == 1)
        await running.stop()
        await standIn.stop()
    }

    @Test func twoAppsOnOneKeyShareOneLimiter() async throws {
        // The entry tier scaled to a 2-second window: 1 at a time, 3 a window, enforced by the stand-in.
        let tier = MoonshotStandIn.Tier(concurrency: 1, requestsPerWindow: 3, window: 2)
        let standIn = try await MoonshotStandIn.start(.init(tier: tier))
        let running = try await start(standIn, limits: RateLimits(concurrency: 1, requestsPerMinute: 3, window: 2)) { $0.queueTimeout = 20 }
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 { group.addTask { try await chat(running.base).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(answers == Array(repeating: 200, count: 6))
        #expect(standIn.rateLimitedCount == 0)
        await running.stop()
        await standIn.stop()
    }

    @Test func aRequestThatWouldWaitTooLongGets429WithRetryAfter() async throws {
        let standIn = try await MoonshotStandIn.start()
        let running = try await start(standIn, limits: RateLimits(concurrency: 1, requestsPerMinute: 1, window: 60)) { $0.queueTimeout = 0.5 }
        #expect(try await chat(running.base).status == 200)
        let started = Date()
        let refused = try await chat(running.base)
        #expect(refused.status == 429)
        #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 >= 50, "\(refused.headers)")
        #expect(refused.body.contains("\"error\""))
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(standIn.requests.filter { $0 == "POST /v1/chat/completions" }.count == 1)
        await running.stop()
        await standIn.stop()
    }

    @Test func clientKeysAreRequiredAndTheUpstreamKeyIsNotOne() async throws {
        let standIn = try await MoonshotStandIn.start()
        let running = try await start(standIn) { $0.clientKeys = ["app-key-1"] }
        for (key, status) in [(nil, 401), ("wrong", 401), (standIn.options.apiKey, 401), ("app-key-1", 200)] as [(String?, Int)] {
            var request = HTTPClientRequest(url: running.base + "/models")
            if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(Int(response.status.code) == status, "\(key ?? "no key")")
            #expect(!text.contains(standIn.options.apiKey))
        }
        await running.stop()
        await standIn.stop()
    }

    @Test func clientsWithKeysDoNotShareTheAccountsFiles() async throws {
        let standIn = try await MoonshotStandIn.start()
        for share in [false, true] {
            let running = try await start(standIn) {
                $0.clientKeys = ["app-key-1"]
                $0.shareFilesAPI = share
            }
            var request = HTTPClientRequest(url: running.base + "/files?limit=5")
            request.headers.add(name: "Authorization", value: "Bearer app-key-1")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(Int(response.status.code) == (share ? 200 : 403))
            await running.stop()
        }
        #expect(standIn.requests.contains("GET /v1/files"))  // the query stayed a query
        await standIn.stop()
    }

    @Test func onlyLocalProgramsWithoutKeys() async throws {
        let standIn = try await MoonshotStandIn.start()
        let running = try await start(standIn)
        for (headers, status) in [([("Host", "attacker.example")], 403), ([("Origin", "http://attacker.example")], 403),
                                  ([("Host", "localhost:1")], 200), ([], 200)] as [([(String, String)], Int)] {
            var request = HTTPClientRequest(url: running.base + "/models")
            for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(Int(response.status.code) == status, "\(headers)")
        }
        for path in ["/files/../models", "/models/."] {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: running.base + path), timeout: .seconds(30))
            #expect(response.status.code >= 400, "\(path)")
        }
        await running.stop()
        await standIn.stop()
    }

    @Test func beyondLoopbackWithoutClientKeysDoesNotStart() throws {
        var settings = GatewayConfiguration(api: try APIConfiguration(baseURL: URL(string: "http://127.0.0.1:9/v1")!, apiKey: APIKey("k")))
        settings.host = "0.0.0.0"
        #expect(settings.problems().contains { $0.contains("--client-keys") })
        #expect(throws: GatewayStartError.self) { try Gateway(configuration: settings) }
    }
}

extension DataURLSpoolerTests {
    @Test func boundsTheNumberOfDataURLs() throws {
        let folder = try TemporaryFolder()
        var spooler = DataURLSpooler(folder: folder.path, maxSkeletonBytes: 1 << 20)
        spooler.maxDataURLs = 3
        let text = "[" + Array(repeating: #""data:image/png;base64,AAAA""#, count: 5).joined(separator: ",") + "]"
        #expect(throws: DataURLSpooler.Failure.tooManyDataURLs(3)) {
            try Array(text.utf8).withUnsafeBytes { try spooler.feed($0) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 3)
    }
}

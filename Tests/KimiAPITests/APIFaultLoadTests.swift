import Foundation
import KimiAPI
import Testing
import TestSupport

/// The API failing under load: 200 calls at once (100 uploads, 100 remote estimates) through one
/// client, while the stand-in answers the first 110 requests it receives with faults — 429s with a
/// `Retry-After` header and without (the wait in the message only, as the real entry tier sends),
/// overloaded engines, 500/502/503s, slow answers, answers cut in half, dropped connections and
/// answers lost after the work was done. Every call must end done or with a clear error after
/// bounded retries, no file may be stored twice, and the key must appear in no error.
@Suite("API faults under load", .serialized)
struct APIFaultLoadTests {
    static let faults: [(MoonshotStandIn.Fault, Int)] = [
        (.status(429, type: "rate_limit_reached_error", headers: ["Retry-After": "1"]), 5),
        (.rateLimitedInMessage(wait: 0.05), 15),
        (.overloaded, 10),
        (.status(500, type: "server_error"), 10),
        (.status(502, type: "server_error"), 10),
        (.status(503, type: "server_error", headers: ["Retry-After": "0"]), 10),
        (.delay(0.5), 10),
        (.truncatedBody, 10),
        (.drop, 15),
        (.answerLost, 15),
    ]

    @Test func twoHundredCallsThroughEveryFault() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        // Spread over the queue so that uploads and estimates both meet every kind.
        var queue: [MoonshotStandIn.Fault] = []
        var left = Self.faults
        while left.contains(where: { $0.1 > 0 }) {
            for i in left.indices where left[i].1 > 0 {
                queue.append(left[i].0)
                left[i].1 -= 1
            }
        }
        for fault in queue { server.enqueue(fault) }

        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey),
                                                 rateLimits: .unlimited)
        let client = MoonshotClient(configuration: configuration, retry: RetryPolicy(maxAttempts: 5, baseDelay: 0.05, maxDelay: 0.5))
        let folder = try TemporaryFolder()
        let uploads = try (0..<100).map { try folder.write("clip-\($0).mp4", Array("not really a video, number \($0)".utf8)) }
        let started = Date()
        enum Outcome: Sendable { case uploaded(String, String), estimated(Int), failed(String, APIError) }
        let outcomes = try await scoped(client) { api in
            await withTaskGroup(of: Outcome.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        do throws(APIError) {
                            if i % 2 == 0 {
                                let file = try await api.upload(path: uploads[i / 2], purpose: .video, mimeType: "video/mp4")
                                return .uploaded(file.id, file.filename ?? "?")
                            }
                            return .estimated(try await api.estimateTokens(model: "kimi-k2.6", messages: [.user([.text("call \(i)")])]))
                        } catch {
                            return .failed(i % 2 == 0 ? "upload \(i / 2)" : "estimate \(i)", error)
                        }
                    }
                }
                var all: [Outcome] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
        }
        let elapsed = Date().timeIntervalSince(started)

        #expect(outcomes.count == 200)
        var uploaded: [String: String] = [:]  // filename → id
        var failures: [String] = []
        for outcome in outcomes {
            switch outcome {
            case .uploaded(let id, let name):
                #expect(uploaded[name] == nil, "\(name) reported twice")
                uploaded[name] = id
            case .estimated(let tokens):
                #expect(tokens > 0)
            case .failed(let what, let error):
                failures.append("\(what): \(error)")
                #expect(!"\(error)".isEmpty)
                #expect(!"\(error)".contains(server.options.apiKey), "the key in an error: \(error)")
            }
        }
        // Every call succeeded: each fault is retried away within its budget.
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(uploaded.count == 100)
        // No file stored twice, although 15 uploads' answers were lost after the store and others cut off.
        #expect(server.fileCount == uploaded.count, "\(server.fileCount) files stored for \(uploaded.count) uploads")
        let stored = server.requests.filter { $0 == "POST /v1/files" }.count
        #expect(stored >= 100)
        // Bounded: the waits asked for (1 s at most), the backoffs (0.5 s at most) and the slow answers.
        #expect(elapsed < 60, "took \(elapsed) s")
        print("API faults under load: 200 calls, \(queue.count) faults, \(server.requests.count) requests in "
              + String(format: "%.1f", elapsed) + " s; \(server.fileCount) files stored for 100 uploads")
    }
}

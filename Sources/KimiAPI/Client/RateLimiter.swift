import MediaCore
import Foundation

/// How hard one client may press the API: requests in flight at once and requests started per
/// minute. Moonshot's entry tier (Tier0, a new account) allows 1 concurrent request and 3 a minute
/// (platform docs, limits page), and its 429s have been seen without `Retry-After` or
/// `X-RateLimit-*` headers; a client that paces itself never meets them.
///
/// Resolution: explicit values, then `MOONSHOT_MAX_CONCURRENCY` and `MOONSHOT_RPM` (a number, or
/// `unlimited`), then the entry tier — except for a loopback base URL (a local stand-in or proxy),
/// which is unlimited unless told otherwise.
public struct RateLimits: Sendable, Hashable, CustomStringConvertible {
    /// Requests in flight at once; `nil` for no limit.
    public var concurrency: Int?
    /// Requests started in any `window` seconds; `nil` for no limit.
    public var requestsPerMinute: Int?
    /// The length of "a minute" in seconds: 60, except in tests that scale time.
    public var window: Double

    public init(concurrency: Int? = 1, requestsPerMinute: Int? = 3, window: Double = 60) {
        self.concurrency = concurrency.map { max(1, $0) }
        self.requestsPerMinute = requestsPerMinute.map { max(1, $0) }
        self.window = max(0.001, window)
    }

    /// Tier0: 1 concurrent request, 3 a minute.
    public static let entryTier = RateLimits()
    public static let unlimited = RateLimits(concurrency: nil, requestsPerMinute: nil)

    /// The limits for `baseURL` from explicit values and the environment (see the type's comment).
    public static func resolve(concurrency: String? = nil, requestsPerMinute: String? = nil, baseURL: URL,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> RateLimits {
        let base = APIConfiguration.isLoopback(baseURL.host?.lowercased() ?? "") ? unlimited : entryTier
        func value(_ text: String?, _ name: String, _ fallback: Int?) throws(ConfigurationError) -> Int? {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return fallback }
            if text.lowercased() == "unlimited" || text == "0" { return nil }
            guard let number = Int(text), number > 0 else { throw .invalidLimit(name, text) }
            return number
        }
        return RateLimits(
            concurrency: try value(concurrency ?? environment["MOONSHOT_MAX_CONCURRENCY"], "concurrency", base.concurrency),
            requestsPerMinute: try value(requestsPerMinute ?? environment["MOONSHOT_RPM"], "requests per minute", base.requestsPerMinute))
    }

    public var description: String {
        let c = concurrency.map { "\($0) at a time" } ?? "no concurrency limit"
        let r = requestsPerMinute.map { "\($0) a minute" } ?? "no rate limit"
        return "\(c), \(r)"
    }
}

/// Paces one client's requests to its ``RateLimits``: a slot among `concurrency`, then a start
/// inside the per-minute window; after a 429 no request starts before the wait it asked for (from
/// its headers or its message) — so a burst of 429s slows every task of the client, not just the
/// one that met it. Waits are reported through `onWait` ("waiting 18 s: …"), so a CLI can say why
/// it is idle.
actor RateLimiter {
    let limits: RateLimits
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// When each recent request may have reached the server, by ticket: its start until its answer's
    /// head arrives, then that moment (``arrived(_:)``). The server counts a request when it arrives,
    /// somewhere between the two: a loaded machine or a slow network can hold a request back long
    /// enough that two starts a window apart arrive inside one (a paced test met a 429 so).
    private var starts: [Int: Double] = [:]
    private var nextTicket = 0
    private var notBefore: Double = 0

    init(limits: RateLimits) { self.limits = limits }

    static func now() -> Double { ProcessInfo.processInfo.systemUptime }

    /// Waits for a slot and a start in the window; the caller must ``release()`` once its request
    /// ended, and should say when its answer arrived (``arrived(_:)``) with the ticket returned.
    @discardableResult
    func acquire(endpoint: String, onWait: (@Sendable (String) -> Void)?) async -> Int {
        while let most = limits.concurrency, inFlight >= most {
            await withCheckedContinuation { waiting.append($0) }
        }
        inFlight += 1
        while true {
            let now = Self.now()
            let span = limits.window + min(1, limits.window * 0.05)
            starts = starts.filter { now - $0.value < span }
            var wait = notBefore - now, why = "the API asked to wait (rate limit)"
            if let rpm = limits.requestsPerMinute, starts.count >= rpm {
                // A margin of 5 % of the window (at most 1 s): the server's clock starts when the
                // request arrives, a little after ours.
                let stamps = starts.values.sorted()
                let windowWait = stamps[stamps.count - rpm] + span - now
                if windowWait > wait { (wait, why) = (windowWait, "\(counted(rpm, "request")) a minute (\(limits))") }
            }
            if wait <= 0.000_5 { return ticket(at: now) }
            if wait >= 1 { onWait?("waiting \(Int(wait.rounded(.up))) s before \(endpoint): \(why)") }
            try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            if Task.isCancelled { return ticket(at: Self.now()) }
        }
    }

    private func ticket(at now: Double) -> Int {
        defer { nextTicket += 1 }
        starts[nextTicket] = now
        return nextTicket
    }

    /// The answer to ticket's request began to arrive (or the request failed): the server has
    /// counted it by now, so the window runs from here at the latest.
    func arrived(_ ticket: Int) {
        if starts[ticket] != nil { starts[ticket] = Self.now() }
    }

    func release() {
        inFlight -= 1
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }

    /// A 429: nothing of this client starts for `seconds` (the caller's backoff grows them when
    /// 429s repeat without a stated wait).
    func rateLimited(wait seconds: Double) {
        notBefore = max(notBefore, Self.now() + seconds)
    }
}

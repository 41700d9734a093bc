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
    /// Tasks waiting for a slot, in arrival order; each is resumed with `true` when a slot frees, or
    /// `false` when its wait ran out (``admit(endpoint:onWait:within:)``).
    private var waiting: [(id: Int, resume: CheckedContinuation<Bool, Never>)] = []
    private var nextWaiter = 0
    /// When each recent request may have reached the server, by ticket: its start until its answer's
    /// head arrives, then that moment (``arrived(_:)``). The server counts a request when it arrives,
    /// somewhere between the two: a loaded machine or a slow network can hold a request back long
    /// enough that two starts a window apart arrive inside one (a paced test met a 429 so).
    private var starts: [Int: Double] = [:]
    private var nextTicket = 0
    private var notBefore: Double = 0

    init(limits: RateLimits) { self.limits = limits }

    static func now() -> Double { ProcessInfo.processInfo.systemUptime }

    /// Requests waiting for a slot or a start now.
    private(set) var queued = 0

    /// Whether a request may start, or how long it would have to wait for longer than it was allowed.
    enum Admission: Sendable {
        case ticket(Int)
        case refused(retryAfter: Double)
    }

    /// Waits for a slot and a start in the window, for at most `within` seconds (`nil`: as long as it
    /// takes); the caller of an admitted request must ``release()`` once it ended, and should say when
    /// its answer arrived (``arrived(_:)``) with the ticket. A request that would wait longer is
    /// refused at once (a start the window holds back) or when its wait runs out (a slot), with the
    /// wait it would need — a shared gateway answers it 429 with `Retry-After` rather than holding
    /// its client past its patience.
    func admit(endpoint: String, onWait: (@Sendable (String) -> Void)?, within: Double?) async -> Admission {
        let deadline = within.map { Self.now() + max(0, $0) }
        queued += 1
        defer { queued -= 1 }
        // A slot freed by `release()` is handed to the first waiter, never taken by a later arrival.
        var handed = false
        while !handed, let most = limits.concurrency, inFlight >= most || !waiting.isEmpty {
            let id = nextWaiter
            nextWaiter += 1
            if let deadline {
                let remaining = deadline - Self.now()
                Task { [weak self] in
                    try? await Task.sleep(nanoseconds: UInt64(max(0, remaining) * 1e9))
                    await self?.timeOut(id)
                }
            }
            let woken = await withCheckedContinuation { waiting.append((id, $0)) }
            if !woken { return .refused(retryAfter: 1) }
            handed = true
        }
        if !handed { inFlight += 1 }
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
            if wait <= 0.000_5 { return .ticket(ticket(at: now)) }
            if let deadline, now + wait > deadline {
                release()
                return .refused(retryAfter: wait)
            }
            if wait >= 1 { onWait?("waiting \(Int(wait.rounded(.up))) s before \(endpoint): \(why)") }
            try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            if Task.isCancelled { return .ticket(ticket(at: Self.now())) }
        }
    }

    /// A waiter whose time ran out leaves the queue (if a slot has not woken it already).
    private func timeOut(_ id: Int) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).resume.resume(returning: false)
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

    /// Gives the slot back, or hands it straight to the first waiter.
    func release() {
        if waiting.isEmpty { inFlight -= 1 } else { waiting.removeFirst().resume.resume(returning: true) }
    }

    /// A 429: nothing of this client starts for `seconds` (the caller's backoff grows them when
    /// 429s repeat without a stated wait).
    func rateLimited(wait seconds: Double) {
        notBefore = max(notBefore, Self.now() + seconds)
    }
}

import Foundation

/// A failed API call. Never contains the key: server messages are passed through
/// ``APIKey/redact(_:)`` before they land here.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the call failed.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The server answered with an error status or an `error` body (even on HTTP 200).
        case http
        /// The connection failed or dropped.
        case transport
        /// No answer within the connect or request timeout.
        case timeout
        /// The answer was not the documented shape, or larger than the cap.
        case invalidResponse
        /// Refused before sending: a rule of the API (see ``violations``), a file too large or empty.
        case invalidRequest
        /// No key configured.
        case missingKey
        /// A local file could not be read.
        case io
    }

    public var kind: Kind
    /// HTTP status, when there was one.
    public var status: Int?
    /// The error body's `type` (e.g. `rate_limit_reached_error`).
    public var type: String?
    public var message: String
    /// The request, e.g. `POST /v1/files`.
    public var endpoint: String
    /// Attempts made (retries included).
    public var attempts: Int
    public var violations: [RequestViolation]
    /// Seconds to wait before trying again, when known (a request the client's own queue refused:
    /// ``queueTimeoutType``).
    public var retryAfter: Double?

    /// The `type` of a 429 made by this client, not the server: the request would have waited in
    /// the client's rate-limit queue longer than it was allowed (``MoonshotClient/relay(_:_:body:accept:queueTimeout:timeout:)``).
    public static let queueTimeoutType = "queue_timeout_error"

    public init(_ kind: Kind, status: Int? = nil, type: String? = nil, message: String, endpoint: String, attempts: Int = 1,
                violations: [RequestViolation] = [], retryAfter: Double? = nil) {
        self.retryAfter = retryAfter
        self.kind = kind
        self.status = status
        self.type = type
        self.message = message
        self.endpoint = endpoint
        self.attempts = attempts
        self.violations = violations
    }

    /// Worth trying again: rate limits and overloads (not an exhausted balance), server errors,
    /// dropped connections and timeouts.
    public var isRetryable: Bool {
        switch kind {
        case .transport, .timeout: return true
        case .http:
            if isQuotaExhausted { return false }
            return status == 429 || status.map { $0 >= 500 } ?? false
        default: return false
        }
    }

    /// The request may have been carried out although the call failed: the connection dropped or
    /// timed out, the answer was cut or unreadable, or the server failed (a 5xx other than 503,
    /// which says it did not process the request). An error answer (4xx, 429, 503) proves it was not.
    public var mayHaveBeenProcessed: Bool {
        switch kind {
        case .transport, .timeout, .invalidResponse: return true
        case .http: return status.map { $0 >= 500 && $0 != 503 } ?? false
        default: return false
        }
    }

    /// A 429 that waiting cures: a rate limit or an overloaded engine, not an exhausted balance.
    public var isRateLimit: Bool { kind == .http && status == 429 && !isQuotaExhausted }

    /// The account's balance or quota is spent (`exceeded_current_quota_error`, a 403, or the words
    /// of one when the type is missing, as some 429s have): retrying cannot help.
    public var isQuotaExhausted: Bool {
        guard kind == .http else { return false }
        if type == "exceeded_current_quota_error" || status == 403 { return true }
        let text = message.lowercased()
        return text.contains("insufficient balance") || text.contains("exceeded your current") || text.contains("current quota")
            || text.contains("suspended")
    }

    public var description: String {
        var text = "\(endpoint): "
        if let status { text += "HTTP \(status) " }
        if let type { text += "\(type): " }
        text += message
        if !violations.isEmpty { text += "\n" + violations.map { "  - \($0)" }.joined(separator: "\n") }
        if attempts > 1 { text += " (after \(attempts) attempts)" }
        return text
    }
}

/// Retries with exponential backoff and jitter (1, 2, 4, 8 s by default, as Moonshot recommends),
/// waiting at least what `Retry-After` or `X-RateLimit-Reset` asks, never more than `maxDelay`.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// Fraction of each delay drawn at random (0.2: ±20 %).
    public var jitter: Double

    /// Attempts of one call that rate limits (429) may take: waiting them out is safe (the server
    /// did not process the request), so they have their own, larger budget.
    public var maxRateLimitAttempts: Int
    /// The longest wait after a 429: the entry tier asks for up to a minute.
    public var maxRateLimitDelay: Double

    public init(maxAttempts: Int = 4, baseDelay: Double = 1, maxDelay: Double = 30, jitter: Double = 0.2,
                maxRateLimitAttempts: Int = 12, maxRateLimitDelay: Double = 120) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.maxRateLimitAttempts = max(1, maxRateLimitAttempts)
        self.maxRateLimitDelay = maxRateLimitDelay
    }

    public static let none = RetryPolicy(maxAttempts: 1, maxRateLimitAttempts: 1)

    /// Seconds to wait before attempt `attempt + 1` (attempt counts from 1).
    public func delay(afterAttempt attempt: Int, serverAsked: Double?) -> Double {
        let exponential = baseDelay * Double(1 << min(attempt - 1, 16))
        let jittered = exponential * (1 + Double.random(in: -jitter...jitter))
        return min(maxDelay, max(jittered, serverAsked ?? 0))
    }

    /// The wait a 429's message states, in seconds, when its headers say nothing (as Moonshot's
    /// have been seen: "request reached max request: 3, please try again after 1 seconds").
    public static func messageDelay(_ message: String) -> Double? {
        let pattern = #"(?:try again|retry)\s+(?:after|in)\s+([0-9]+(?:\.[0-9]+)?)\s*(ms|milliseconds?|s|secs?|seconds?|minutes?|mins?)\b"#
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
              let match = regex.firstMatch(in: message, range: NSRange(message.startIndex..., in: message)),
              let numberRange = Range(match.range(at: 1), in: message), let unitRange = Range(match.range(at: 2), in: message),
              let number = Double(message[numberRange])
        else { return nil }
        let unit = message[unitRange].lowercased()
        if unit.hasPrefix("ms") || unit.hasPrefix("milli") { return number / 1000 }
        if unit.hasPrefix("m") { return number * 60 }
        return number
    }

    /// What the server asked for, in seconds: `Retry-After` (seconds), else `X-RateLimit-Reset`
    /// (seconds from now, or a Unix time when it is that large).
    public static func serverDelay(retryAfter: String?, rateLimitReset: String?, now: Double) -> Double? {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 { return seconds }
        if let rateLimitReset, let value = Double(rateLimitReset.trimmingCharacters(in: .whitespaces)), value >= 0 {
            return value > 1_000_000_000 ? max(0, value - now) : value
        }
        return nil
    }
}

/// Connect and whole-request timeouts, and the largest response body read.
public struct Timeouts: Sendable, Hashable {
    public var connect: Double
    public var request: Double
    /// Uploads of up to 100 MB get this long.
    public var upload: Double
    public var maxResponseBytes: Int
    /// Seconds an answer may go silent once it has begun (`nil`: no limit beyond `request`'s, which
    /// ends when the head arrives). The gateway sets it: a stalled stream must not hold a
    /// rate-limit slot for ever.
    public var read: Double? = nil

    public init(connect: Double = 10, request: Double = 120, upload: Double = 900, maxResponseBytes: Int = 16 << 20) {
        self.connect = connect
        self.request = request
        self.upload = upload
        self.maxResponseBytes = maxResponseBytes
    }
}

import MediaCore

/// Totals over a batch's manifest entries: what the end-of-run summary and the report show.
public struct BatchSummary: Sendable, Hashable, Codable {
    public var ok = 0
    public var unchanged = 0
    public var failed = 0
    public var skipped = 0
    public var bytesIn: Int64 = 0
    public var bytesOut: Int64 = 0
    public var imageTokens = 0
    public var videoTokens = 0
    /// Failures by error code, most frequent first.
    public var errors: [ErrorCount] = []

    /// How many inputs failed with one error code.
    public struct ErrorCount: Sendable, Hashable, Codable {
        public var code: String
        public var count: Int
        public var example: String
    }

    public init(_ entries: [ManifestEntry]) {
        for entry in entries { add(entry) }
    }

    /// Counts one more entry (a batch's summary is made this way, line by line, as lines are written).
    public mutating func add(_ entry: ManifestEntry) {
        switch entry.status {
        case .ok:
            ok += 1
            if entry.passthrough { unchanged += 1 }
            bytesIn += entry.sourceBytes ?? entry.probe?.bytes ?? 0
            bytesOut += Int64(entry.outputs.map(\.bytes).reduce(0, +))
            if entry.kind == .video { videoTokens += entry.tokens ?? 0 } else { imageTokens += entry.tokens ?? 0 }
        case .error:
            failed += 1
            let code = entry.error?.code.rawValue ?? "unknown"
            if let i = errors.firstIndex(where: { $0.code == code }) {
                errors[i].count += 1
            } else {
                errors.append(ErrorCount(code: code, count: 1, example: entry.error?.message ?? entry.source))
            }
            errors.sort { $0.count != $1.count ? $0.count > $1.count : $0.code < $1.code }
        case .skipped:
            skipped += 1
        }
    }

    public var tokens: Int { imageTokens + videoTokens }

    /// Input cost at `pricePerMillion` (currency units per million input tokens).
    public func cost(pricePerMillion: Double) -> Double { Double(tokens) * pricePerMillion / 1_000_000 }

    /// The summary as text lines.
    public func lines(pricePerMillion: Double? = nil, resumed: Int = 0) -> [String] {
        var lines = ["\(ok) prepared (\(unchanged) already API-ready, copied unchanged), \(failed) failed, \(skipped) skipped"
            + (resumed > 0 ? "; \(resumed) of these were already done (resumed)" : "")
            + "; \(Self.bytes(bytesIn)) in → \(Self.bytes(bytesOut)) out"]
        var tokenLine = "tokens (offline): \(imageTokens) image + \(videoTokens) video = \(tokens)"
        if let pricePerMillion { tokenLine += String(format: "; ≈ %.4f at %.4g per million input tokens", cost(pricePerMillion: pricePerMillion), pricePerMillion) }
        lines.append(tokenLine)
        if !errors.isEmpty {
            lines.append("errors: " + errors.map { "\($0.code) ×\($0.count)" }.joined(separator: ", "))
            for e in errors { lines.append("  \(e.code): e.g. \(e.example)") }
        }
        return lines
    }

    /// `n` bytes in decimal units with one decimal ("1.5 MB"), rounded half up on the exact size.
    /// That is what "%.1f" writes, except at exact halves (printf rounds the binary quotient, which
    /// may fall either side) and above 2⁵³ bytes. Not written with `String(format:)`: Foundation's
    /// printf costs 1.9 M instructions at its first use, a tenth of a small file's run.
    public static func bytes(_ n: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var unit = 0, scale: Int64 = 1
        while unit < units.count - 1 && n / scale >= 1000 {
            scale *= 1000
            unit += 1
        }
        guard unit > 0 else { return "\(n) B" }
        let tenths = n / (scale / 10) + (n % (scale / 10) >= scale / 20 ? 1 : 0)
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

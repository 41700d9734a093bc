import MediaCore

/// What every format's probe needs: the file's path, the options, and the diagnostics gathered so
/// far; plus the limit checks, so each one is written once.
struct ProbeContext {
    let path: String
    let options: ProbeOptions
    var diagnostics: [Diagnostic] = []

    func error(_ code: MediaError.Code, _ message: String, cause: (any Error & Sendable)? = nil,
               file: String = #fileID, line: Int = #line) -> MediaError {
        MediaError(code, path: path, stage: .probe, message, cause: cause, file: file, line: line)
    }

    /// Refuses an image or frame larger than ``MediaLimits/maxPixels``, before anything is allocated.
    func checkPixels(_ width: Int, _ height: Int) throws(MediaError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        let limit = options.limits.maxPixels
        if overflow || pixels > limit {
            throw error(.limitExceeded, "declares \(width)×\(height) = \(pixels.formatted) pixels, more than the limit of \(limit.formatted)")
        }
    }

    func checkFrames(_ frames: Int) throws(MediaError) {
        let limit = options.limits.maxAnimationFrames
        if frames > limit { throw error(.limitExceeded, "declares \(frames) frames, more than the limit of \(limit)") }
    }

    /// Fails on a truncated or structurally corrupt container; with `allowTruncated`, records a
    /// `truncated` diagnostic instead and returns `true`.
    @discardableResult
    mutating func checkIntegrity(_ format: MediaFormat, _ v: ByteView) throws(MediaError) -> Bool {
        switch Integrity.check(format, v) {
        case .complete: return false
        case .corrupt(let why): throw error(.corruptInput, why)
        case .truncated(let why):
            try truncated(why)
            return true
        }
    }

    mutating func truncated(_ why: String) throws(MediaError) {
        guard options.allowTruncated else { throw error(.truncatedInput, "file is truncated: \(why)") }
        diagnostics.append(Diagnostic(code: "truncated", stage: .probe, message: "file is truncated: \(why)"))
    }

    func accepts(_ format: MediaFormat, _ bytes: Int) -> Bool {
        APILimits.default.accepts(format: format, bytes: Int64(bytes))
    }
}

extension Int {
    /// 10000000000 → "10,000,000,000": readable pixel counts in messages.
    fileprivate var formatted: String {
        let digits = Array(String(self))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0, d != "-" { out.append(",") }
            out.append(d)
        }
        return out
    }
}

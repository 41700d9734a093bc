import CFFmpeg

/// A failed FFmpeg call: the function, its negative `AVERROR` code and `av_strerror`'s text.
public struct FFmpegError: Error, Sendable, CustomStringConvertible, Equatable {
    public var code: Int32
    public var function: String
    public var text: String

    init(_ code: Int32, _ function: String) {
        self.code = code
        self.function = function
        var buffer = [CChar](repeating: 0, count: Int(KIMI_AV_ERROR_MAX_STRING_SIZE))
        av_strerror(code, &buffer, buffer.count)
        self.text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { "\(function): \(text)" }

    /// The one status check for FFmpeg calls: negative results become errors.
    @discardableResult
    static func check(_ status: Int32, _ function: String) throws(FFmpegError) -> Int32 {
        guard status >= 0 else { throw FFmpegError(status, function) }
        return status
    }
}

/// FFmpeg's log level is process-global: set once, on first use, never per file (design §3.7).
enum FFmpegRuntime {
    static let configured: Void = { av_log_set_level(AV_LOG_QUIET) }()
}

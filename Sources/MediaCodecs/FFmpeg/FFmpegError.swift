import CFFmpegLoader
import Dispatch
import Foundation
import Synchronization
import MediaCore

/// A failed FFmpeg call: the function, its negative `AVERROR` code and `av_strerror`'s text.
public struct FFmpegError: LocalizedError, Sendable, CustomStringConvertible, Equatable {
    public var code: Int32
    public var function: String
    public var text: String

    /// FFmpeg could not be loaded: the text is the loader's (no FFmpeg call can describe it).
    static func notLoaded(_ why: String) -> FFmpegError {
        FFmpegError(code: kimi_averror(ENOSYS), function: "kimi_ffmpeg_load", text: "FFmpeg's libraries could not be loaded: \(why)")
    }

    private init(code: Int32, function: String, text: String) {
        self.code = code
        self.function = function
        self.text = text
    }

    init(_ code: Int32, _ function: String) {
        self.code = code
        self.function = function
        var buffer = [CChar](repeating: 0, count: Int(KIMI_AV_ERROR_MAX_STRING_SIZE))
        kimi_av_strerror(code, &buffer, buffer.count)
        self.text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { "\(function): \(text)" }
    public var errorDescription: String? { description }

    /// The ``MediaError`` code a failure of opening or reading a file means.
    var mediaCode: MediaError.Code {
        switch code {
        case KIMI_AVERROR_EXIT: .limitExceeded  // the probe deadline passed
        case kimi_averror(ENOENT), kimi_averror(EACCES), kimi_averror(EIO), kimi_averror(EISDIR): .io
        case kimi_averror(ENOMEM), kimi_averror(ENOSYS): .decodeFailed  // ENOSYS: FFmpeg not loadable
        default: .corruptInput
        }
    }

    /// The one status check for FFmpeg calls: negative results become errors.
    @discardableResult
    static func check(_ status: Int32, _ function: String) throws(FFmpegError) -> Int32 {
        guard status >= 0 else { throw FFmpegError(status, function) }
        return status
    }
}

/// FFmpeg, loaded once on first use (`kimi_ffmpeg_load`, which also sets the process-global log
/// level, once for the process). Image work never loads it.
public enum FFmpegRuntime {
    /// Starts the load on another thread; the first use then waits for it (if it is not done). Debian's
    /// FFmpeg libraries are linked `BIND_NOW`: loading them binds every symbol of ~95 libraries
    /// (28 ms here), which a run known to need them overlaps with its own start this way.
    public static func loadInBackground() {
        backgroundLoad.store(true, ordering: .releasing)
        DispatchQueue.global(qos: .userInitiated).async { _ = loadError }
    }

    /// Waits for a load ``loadInBackground()`` started (returns at once when none was started). A
    /// process must not exit while the load runs: library constructors (libgomp, which libsoxr
    /// pulls in through libswresample) racing the exit's destructors aborted `kimi-media probe`
    /// about once in 500 short runs (`goacc_register: Assertion '!dispatchers[disp->type]'`).
    public static func finishBackgroundLoad() {
        if backgroundLoad.load(ordering: .acquiring) { _ = loadError }
    }

    private static let backgroundLoad = Atomic<Bool>(false)

    /// `nil` when FFmpeg is ready, otherwise why it is not (e.g. the libraries are not installed).
    static let loadError: String? = {
        var buffer = [CChar](repeating: 0, count: 512)
        guard kimi_ffmpeg_load(&buffer, buffer.count) != 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}

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

    /// The functions that write an output file: their I/O faults are the output's, not the input's.
    static let writing: Set<String> = ["avio_open", "avformat_write_header", "av_interleaved_write_frame", "av_write_trailer", "avio_closep"]

    /// The one mapping of a failed FFmpeg call to a ``MediaError``, whichever stage called it:
    /// - the probe deadline (`AVERROR_EXIT`): `limitExceeded`;
    /// - a full disk, a size limit, a read-only or vanished output (ENOSPC, EFBIG, EDQUOT, EROFS,
    ///   EIO, ENOENT, EACCES in a function that writes): `io` at the `write` stage, naming `output`;
    /// - a file that cannot be read (ENOENT, EACCES, EIO, EISDIR): `io`;
    /// - otherwise by the stage: reading a header (`probe`, `read`) is `corruptInput` (`truncatedInput`
    ///   for a file known to be cut; out of memory or FFmpeg not loaded: `decodeFailed`), decoding
    ///   or planning `decodeFailed`, encoding `encodeFailed`, writing `io`.
    func mediaError(path: String, stage: PipelineStage, _ message: String, output: String? = nil, truncated: Bool = false,
                    file: String = #fileID, line: Int = #line) -> MediaError {
        let unreadable = [ENOENT, EACCES, EIO, EISDIR].map(kimi_averror)
        if code == KIMI_AVERROR_EXIT { return MediaError(.limitExceeded, path: path, stage: stage, message, cause: self, file: file, line: line) }
        if Self.writing.contains(function), ([ENOSPC, EFBIG, EDQUOT, EROFS].map(kimi_averror) + unreadable).contains(code) {
            return MediaError(.io, path: output ?? path, stage: .write, "cannot write the video: \(text)", cause: self, file: file, line: line)
        }
        if unreadable.contains(code) { return MediaError(.io, path: path, stage: stage, message, cause: self, file: file, line: line) }
        let code: MediaError.Code = switch stage {
        case .probe, .read:
            [ENOMEM, ENOSYS].map(kimi_averror).contains(self.code) ? .decodeFailed : truncated ? .truncatedInput : .corruptInput
        case .encode: .encodeFailed
        case .write: .io
        default: .decodeFailed
        }
        return MediaError(code, path: path, stage: stage, message, cause: self, file: file, line: line)
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

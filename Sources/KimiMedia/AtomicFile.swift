#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MediaCore

/// Writes files so that they appear only complete: the bytes go to a hidden temporary file in the
/// same folder, are flushed, then renamed over the final name (`rename(2)` is atomic).
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws(MediaError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw MediaError(.io, path: path, stage: .write, "cannot create the folder \(folder): \(error.localizedDescription)")
        }
        let temporary = folder + "/.kimi-media-\(UUID().uuidString).tmp"
        try create(bytes, at: temporary, for: path)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw failure(path, "cannot move the finished file into place", code)
        }
    }

    /// Writes a new file inside a folder of our own that nothing reads until it is complete (a
    /// video's hidden folder, renamed into place when its last frame is in; a fresh work folder):
    /// no temporary name and rename per file, only the bytes, flushed before the folder is used.
    /// The 1,800 keyframes of an hour-long clip: half the system calls of ``write(_:to:)``. Fails
    /// if the file exists.
    public static func writeNew(_ bytes: [UInt8], to path: String) throws(MediaError) {
        try create(bytes, at: path, for: path)
    }

    /// Creates `file` (it must not exist) with `bytes`, flushed to the disk; errors name `path`,
    /// the file the caller is making. Nothing is left behind on failure.
    private static func create(_ bytes: [UInt8], at file: String, for path: String) throws(MediaError) {
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, file == path ? "cannot create the file" : "cannot create a temporary file", errno) }
        let ok = writeFlushed(bytes, to: fd)
        let code = errno
        close(fd)
        guard ok else {
            unlink(file)
            throw failure(path, "cannot write", code)
        }
    }

    /// All of `bytes` written to `fd` and flushed to the disk (`fsync`); `false` with `errno` set.
    private static func writeFlushed(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var written = 0
        return bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return fsync(fd) == 0
        }
    }

    /// Streams a file into place: `body` writes through the handle (to a temporary file beside
    /// `path`), which is then flushed and renamed; `path` appears complete or not at all. For files
    /// too large to hold (a manifest rewritten line by line).
    static func stream(to path: String, _ body: (FileHandle) throws -> Void) throws(MediaError) {
        let temporary = URL(fileURLWithPath: path).deletingLastPathComponent().path + "/.kimi-media-\(UUID().uuidString).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw failure(path, "cannot create a temporary file", errno)
        }
        do {
            defer { try? handle.close() }
            try body(handle)
            try handle.synchronize()
        } catch {
            unlink(temporary)
            throw MediaError(.io, path: path, stage: .write, "cannot write: \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw failure(path, "cannot move the finished file into place", code)
        }
    }

    private static func failure(_ path: String, _ what: String, _ code: Int32) -> MediaError {
        MediaError(.io, path: path, stage: .write, "\(what): \(String(cString: strerror(code)))")
    }
}

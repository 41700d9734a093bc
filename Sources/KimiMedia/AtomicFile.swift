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
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, "cannot create a temporary file", errno) }
        var written = 0
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return fsync(fd) == 0
        }
        let code = errno
        close(fd)
        guard ok else {
            unlink(temporary)
            throw failure(path, "cannot write", code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw failure(path, "cannot move the finished file into place", code)
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MediaCore

/// A read-only memory map of a whole file (`mmap(PROT_READ, MAP_PRIVATE)`): header parsers touch
/// only the pages they read, so probing a 4 GB video reads kilobytes. Not `Sendable`: it lives
/// inside the one task that probes or decodes the file.
final class MappedFile {
    let path: String
    let size: Int
    private let base: UnsafeRawPointer?

    /// Opens and maps `path`. A zero-byte file maps to an empty view.
    init(path: String) throws(MediaError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.ioError(path, "cannot open for reading", errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Self.ioError(path, "cannot stat", errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw MediaError(.io, path: path, stage: .read, "is not a regular file")
        }
        size = Int(info.st_size)
        guard size > 0 else {
            base = nil
            return
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw Self.ioError(path, "cannot map \(size) bytes", errno)
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The file's bytes. Valid while `self` is alive.
    var view: ByteView { ByteView(UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : size)) }

    private static func ioError(_ path: String, _ what: String, _ code: Int32) -> MediaError {
        MediaError(.io, path: path, stage: .read, "\(what): \(String(cString: strerror(code)))")
    }
}

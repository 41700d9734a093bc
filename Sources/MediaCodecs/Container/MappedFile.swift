#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMapGuard
import MediaCore

/// A read-only memory map of a whole file (`mmap(PROT_READ, MAP_PRIVATE)`): header parsers touch
/// only the pages they read, so probing a 4 GB video reads kilobytes. Not `Sendable`: it lives
/// inside the one task that probes or decodes the file.
///
/// A file truncated by another process while mapped would raise SIGBUS on the first read past its
/// new end and end the whole batch: the map is registered with `CMapGuard`, which turns such a
/// read into zeros and marks it, and ``checkUnchanged()`` then reports the file as changed.
final class MappedFile {
    let path: String
    let size: Int
    private let base: UnsafeRawPointer?
    private var guardSlot: Int32 = -1

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
        guardSlot = kimi_map_guard_register(base, size)
    }

    deinit {
        kimi_map_guard_unregister(guardSlot)
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// Runs `body` on the bytes; when the file shrank under the map meanwhile, what `body` made or
    /// threw is dropped for ``checkUnchanged(stage:)``'s error.
    func reading<T>(stage: PipelineStage, _ body: (ByteView) throws(MediaError) -> T) throws(MediaError) -> T {
        let result: T
        do {
            result = try body(view)
        } catch {
            try checkUnchanged(stage: stage)
            throw error
        }
        try checkUnchanged(stage: stage)
        return result
    }

    /// Throws when the file shrank under the map while it was read (what was read past its new
    /// end came back as zeros): whatever was made from those bytes must not be kept.
    func checkUnchanged(stage: PipelineStage) throws(MediaError) {
        guard kimi_map_guard_hit(guardSlot) != 0 else { return }
        throw MediaError(.io, path: path, stage: stage,
                         "the file was truncated by something else while it was read (\(size) bytes when opened): run again once it is complete")
    }

    /// The file's bytes. Valid while `self` is alive.
    var view: ByteView { ByteView(UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : size)) }

    private static func ioError(_ path: String, _ what: String, _ code: Int32) -> MediaError {
        MediaError(.io, path: path, stage: .read, "\(what): \(String(cString: strerror(code)))")
    }
}

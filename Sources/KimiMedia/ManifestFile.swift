#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KimiAPI
import MediaCodecs
import MediaCore

/// The manifest on disk, never held whole: read line by line (cutting off a partial last line a
/// killed run left) into a small record per source, compacted and sorted by streaming rewrites, and
/// appended to one whole line per `write(2)` on an `O_APPEND` descriptor.
package final class ManifestFile: @unchecked Sendable {
    /// What resume needs of a line: its status, options and the input's identity.
    package struct Record {
        var status: ManifestEntry.Status
        var options: String?
        var sourceBytes: Int64?
        var sourceModified: Double?
        var sha256: String?
    }

    let path: String
    /// The last line of each source.
    package private(set) var records: [String: Record] = [:]
    private var fd: Int32 = -1

    package init(path: String) throws(MediaError) {
        self.path = path
        var complete: UInt64 = 0
        try Self.forEachLine(path) { line, end in
            complete = end
            guard let entry = try? JSONDecoder().decode(ManifestEntry.self, from: line) else { return }
            records[entry.source] = Record(status: entry.status, options: entry.options, sourceBytes: entry.sourceBytes,
                                           sourceModified: entry.sourceModified, sha256: entry.sha256)
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? nil, size != complete {
            truncate(path, off_t(complete))  // a killed run's partial line is cut off
        }
        try reopen()
    }

    private func reopen() throws(MediaError) {
        close()
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw MediaError(.io, path: path, stage: .write, "cannot open the manifest: \(String(cString: strerror(errno)))")
        }
    }

    /// Calls `body` with each complete line (without its newline) and the offset just past it,
    /// reading 1 MiB at a time.
    static func forEachLine(_ path: String, _ body: (Data, UInt64) throws(MediaError) -> Void) throws(MediaError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }  // no manifest yet
        defer { try? handle.close() }
        var pending = Data(), offset: UInt64 = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw MediaError(.io, path: path, stage: .read, "cannot read the manifest: \(error.localizedDescription)")
            }
            if chunk.isEmpty { return }
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                offset += UInt64(newline - start + 1)
                try body(pending[start..<newline], offset)
                start = newline + 1
            }
            pending = Data(pending[start...])
        }
    }

    /// Each line's entry, in file order.
    package func forEachEntry(_ body: (ManifestEntry) -> Void) throws(MediaError) {
        try Self.forEachLine(path) { line, _ in
            if let entry = try? JSONDecoder().decode(ManifestEntry.self, from: line) { body(entry) }
        }
    }

    /// Rewrites the manifest (atomically, streaming) without the lines of the sources `drop` names.
    func dropLines(_ drop: (String) -> Bool) throws(MediaError) {
        guard records.keys.contains(where: drop) else { return }
        try rewrite { lines in lines.filter { !drop($0.source) } }
        for source in records.keys where drop(source) { records[source] = nil }
    }

    /// Rewrites the manifest (atomically) with its lines in input order (`order`: source → index;
    /// lines of other sources after them, as they were), reading each line back by its offset: a
    /// small tuple per line is all that is held.
    func sort(by order: [String: Int]) throws(MediaError) {
        try rewrite { lines in
            lines.enumerated().sorted { a, b in
                let (x, y) = (order[a.element.source] ?? Int.max, order[b.element.source] ?? Int.max)
                return x != y ? x < y : a.offset < b.offset
            }.map(\.element)
        }
    }

    struct Line {
        var source: String
        var start: UInt64
        var length: Int
    }

    /// Lists the lines (source and position), lets `arrange` pick and order them, and writes them
    /// to a temporary file renamed over the manifest.
    private func rewrite(_ arrange: ([Line]) -> [Line]) throws(MediaError) {
        var lines: [Line] = []
        try Self.forEachLine(path) { line, end in
            let source = (try? JSONDecoder().decode(SourceOnly.self, from: line))?.source ?? ""
            lines.append(Line(source: source, start: end - UInt64(line.count) - 1, length: line.count + 1))
        }
        let arranged = arrange(lines)
        if arranged.map(\.start) == lines.map(\.start) { return }
        guard let input = FileHandle(forReadingAtPath: path) else { throw MediaError(.io, path: path, stage: .read, "cannot read the manifest") }
        defer { try? input.close() }
        try AtomicFile.stream(to: path) { out in
            for line in arranged {
                try input.seek(toOffset: line.start)
                try out.write(contentsOf: try input.read(upToCount: line.length) ?? Data())
            }
        }
        try reopen()
    }

    private struct SourceOnly: Decodable { var source: String }

    func append(_ line: Data) throws(MediaError) {
        // The file this run writes must still be the one at the path: an output folder deleted
        // (or the manifest replaced) mid-run would take every further line with it, unseen.
        var open = stat(), named = stat()
        guard fstat(fd, &open) == 0, stat(path, &named) == 0, open.st_ino == named.st_ino, open.st_dev == named.st_dev else {
            throw MediaError(.io, path: path, stage: .write,
                             "the manifest was removed or replaced during the run (the output folder deleted?): stopped; run the same command again")
        }
        let bytes = [UInt8](line) + [0x0A]
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; return false }
                done += n
            }
            return true
        }
        guard ok else { throw MediaError(.io, path: path, stage: .write, "cannot append to the manifest: \(String(cString: strerror(errno)))") }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    // A manifest dropped without `close()` (a run that threw between opening and closing it)
    // must not keep its descriptor: found by fuzzing, which ran out of descriptors (EMFILE).
    deinit { close() }
}

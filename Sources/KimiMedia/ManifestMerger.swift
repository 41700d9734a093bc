import Foundation
import MediaCore

/// Joins shard manifests (`manifest.shard-I-of-N.jsonl`, and any `manifest.jsonl`) from one or more
/// output folders into one manifest: one line per source (a completed line wins over a failed one),
/// in the batch's own order (``InputOrder``). Output paths from other folders are rewritten relative to the first folder.
///
/// Streaming: a first pass keeps, per source, where its chosen line is (file, offset, length); the
/// second writes the lines in source order, reading each back — never every entry at once (100,000
/// sources: tens of MB, not the 530 MB the whole entries took).
public enum ManifestMerger {
    /// What a merge produced: the totals, the manifests read and the merged file's path.
    public struct Result: Sendable {
        /// Totals over the merged lines.
        public var summary: BatchSummary
        /// Lines (sources) in the merged manifest.
        public var count: Int
        public var manifests: [String]
        public var path: String
        /// Shards whose manifest none of the folders holds (`I/N`), for each shard count seen: the
        /// merge is incomplete until they are run.
        public var missingShards: [Shard]
        /// Shards whose manifest is there but which never finished (no `manifest.shard-I-of-N.done`
        /// beside it: cancelled, killed or still running): their lines so far are merged, the rest
        /// of their inputs are not.
        public var unfinishedShards: [Shard]
    }

    private struct Head: Decodable {
        var source: String
        var status: ManifestEntry.Status
    }

    private struct Choice {
        var file: Int
        var start: UInt64
        var length: Int
        var ok: Bool
    }

    public static func merge(_ folders: [String], into path: String? = nil) throws(MediaError) -> Result {
        guard let first = folders.first else { throw MediaError(.invalidOptions, path: "", stage: .write, "no output folder given") }
        let target = path ?? first + "/" + BatchPreparer.manifestName
        var read: [String] = [], prefixes: [String] = []
        var chosen: [String: Choice] = [:]
        var seenShards: Set<Shard> = [], finishedShards: Set<Shard> = []
        let firstURL = URL(fileURLWithPath: first).standardizedFileURL
        let decoder = JSONDecoder()
        for folder in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw MediaError(.io, path: folder, stage: .read, "cannot list the folder")
            }
            let prefix = relativePrefix(from: firstURL, to: URL(fileURLWithPath: folder).standardizedFileURL)
            for name in names.sorted() where name.hasPrefix("manifest") && name.hasSuffix(".jsonl") {
                let file = folder + "/" + name
                if let shard = shard(inName: name) {
                    seenShards.insert(shard)
                    if names.contains(shard.finishedMarkerName) { finishedShards.insert(shard) }
                }
                let index = read.count
                read.append(file)
                prefixes.append(prefix)
                try ManifestFile.forEachLine(file) { line, end in
                    guard let head = try? decoder.decode(Head.self, from: line) else { return }
                    if let existing = chosen[head.source], existing.ok, head.status != .ok { return }
                    chosen[head.source] = Choice(file: index, start: end - UInt64(line.count) - 1, length: line.count, ok: head.status == .ok)
                }
            }
        }
        // Second pass: the chosen lines in source order, each read back, rewritten when its outputs
        // live in another folder, counted, and written to a temporary file renamed into place.
        let handles = read.map { FileHandle(forReadingAtPath: $0) }
        defer { for handle in handles { try? handle?.close() } }
        var summary = BatchSummary([])
        let encoder = JSONEncoder.canonical()
        try AtomicFile.stream(to: target) { out in
            for source in chosen.keys.sorted(by: InputOrder.precedes) {
                let choice = chosen[source]!
                guard let handle = handles[choice.file] else { continue }
                try handle.seek(toOffset: choice.start)
                let line = try handle.read(upToCount: choice.length) ?? Data()
                guard var entry = try? decoder.decode(ManifestEntry.self, from: line) else { continue }
                summary.add(entry)
                if prefixes[choice.file].isEmpty {
                    try out.write(contentsOf: line + [0x0A])
                } else {
                    let prefix = prefixes[choice.file]
                    entry.outputs = entry.outputs.map { var o = $0; o.path = prefix + o.path; return o }
                    try out.write(contentsOf: ((try? encoder.encode(entry)) ?? Data()) + [0x0A])
                }
            }
        }
        let counts = Set(seenShards.map(\.count))
        let missing = counts.sorted().flatMap { n in (0..<n).compactMap { Shard(index: $0, count: n) }.filter { !seenShards.contains($0) } }
        let unfinished = seenShards.subtracting(finishedShards).sorted { ($0.count, $0.index) < ($1.count, $1.index) }
        return Result(summary: summary, count: chosen.count, manifests: read, path: target, missingShards: missing,
                      unfinishedShards: unfinished)
    }

    /// The shard of a manifest named `manifest.shard-I-of-N.jsonl`.
    static func shard(inName name: String) -> Shard? {
        guard name.hasPrefix("manifest.shard-"), name.hasSuffix(".jsonl") else { return nil }
        let parts = name.dropFirst("manifest.shard-".count).dropLast(".jsonl".count).components(separatedBy: "-of-")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        return Shard(index: i, count: n)
    }

    /// `../other/` style prefix from folder `from` to folder `to` ("" when they are the same).
    static func relativePrefix(from: URL, to: URL) -> String {
        let a = from.pathComponents, b = to.pathComponents
        guard a != b else { return "" }
        var common = 0
        while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
        let ups = Array(repeating: "..", count: a.count - common)
        return (ups + b[common...]).joined(separator: "/") + "/"
    }
}

import Foundation
import MediaCore

/// Joins shard manifests (`manifest.shard-I-of-N.jsonl`, and any `manifest.jsonl`) from one or more
/// output folders into one manifest: one line per source (a completed line wins over a failed one),
/// sorted by source. Output paths from other folders are rewritten relative to the first folder.
public enum ManifestMerger {
    /// What a merge produced: the merged entries, the manifests read and the merged file's path.
    public struct Result: Sendable {
        public var entries: [ManifestEntry]
        public var manifests: [String]
        public var path: String
        /// Shards whose manifest none of the folders holds (`I/N`), for each shard count seen: the
        /// merge is incomplete until they are run.
        public var missingShards: [Shard]
    }

    public static func merge(_ folders: [String], into path: String? = nil) throws(MediaError) -> Result {
        guard let first = folders.first else { throw MediaError(.invalidOptions, path: "", stage: .write, "no output folder given") }
        let target = path ?? first + "/" + BatchPreparer.manifestName
        var bySource: [String: ManifestEntry] = [:]
        var read: [String] = []
        var seenShards: Set<Shard> = []
        let firstURL = URL(fileURLWithPath: first).standardizedFileURL
        for folder in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw MediaError(.io, path: folder, stage: .read, "cannot list the folder")
            }
            let prefix = relativePrefix(from: firstURL, to: URL(fileURLWithPath: folder).standardizedFileURL)
            for name in names.sorted() where name.hasPrefix("manifest") && name.hasSuffix(".jsonl") {
                let file = folder + "/" + name
                if let shard = shard(inName: name) { seenShards.insert(shard) }
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                read.append(file)
                for var entry in ManifestEntry.entries(inJSONLines: data) {
                    if !prefix.isEmpty {
                        entry.outputs = entry.outputs.map { var o = $0; o.path = prefix + o.path; return o }
                    }
                    if let existing = bySource[entry.source], existing.status == .ok, entry.status != .ok { continue }
                    bySource[entry.source] = entry
                }
            }
        }
        let entries = bySource.values.sorted { $0.source < $1.source }
        try AtomicFile.write(ManifestEntry.jsonLines(entries), to: target)
        let counts = Set(seenShards.map(\.count))
        let missing = counts.sorted().flatMap { n in (0..<n).compactMap { Shard(index: $0, count: n) }.filter { !seenShards.contains($0) } }
        return Result(entries: entries, manifests: read, path: target, missingShards: missing)
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

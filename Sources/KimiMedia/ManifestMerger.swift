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
    }

    public static func merge(_ folders: [String], into path: String? = nil) throws(MediaError) -> Result {
        guard let first = folders.first else { throw MediaError(.invalidOptions, path: "", stage: .write, "no output folder given") }
        let target = path ?? first + "/" + BatchPreparer.manifestName
        var bySource: [String: ManifestEntry] = [:]
        var read: [String] = []
        let firstURL = URL(fileURLWithPath: first).standardizedFileURL
        for folder in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw MediaError(.io, path: folder, stage: .read, "cannot list the folder")
            }
            let prefix = relativePrefix(from: firstURL, to: URL(fileURLWithPath: folder).standardizedFileURL)
            for name in names.sorted() where name.hasPrefix("manifest") && name.hasSuffix(".jsonl") {
                let file = folder + "/" + name
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
        return Result(entries: entries, manifests: read, path: target)
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

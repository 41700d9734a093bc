/// Names of prepared files inside the output folder: the input's path below the folder it was found
/// in (or its bare name when given directly), with unsafe components removed, the extension of the
/// output format, and `-2`, `-3`, … when two inputs would land on one stem. Stems are given out over
/// the whole input list before any work starts (``stems(for:)``), so names do not depend on output
/// formats, on which inputs a shard takes, or on what a resumed run skips. Never outside the output
/// folder.
public struct OutputNames: Sendable {
    private var taken: Set<String> = []

    public init() {}

    /// The stems of a whole input list (paths below their folders), in its order. Where inputs share
    /// a stem, those in a format the API accepts (whose output keeps their name: `sample.jpg` →
    /// `sample.jpg`) take it before those converted (`sample.avif` → `sample-2.jpg`), then in list
    /// order (`a.jpg`, `a.png` → `a`, `a-2`).
    public static func stems(for relatives: [String]) -> [String] {
        var names = OutputNames()
        var stems = [String?](repeating: nil, count: relatives.count)
        for i in relatives.indices where MediaExtensions.isAccepted(named: relatives[i]) { stems[i] = names.stem(for: relatives[i]) }
        for i in relatives.indices where stems[i] == nil { stems[i] = names.stem(for: relatives[i]) }
        return stems.map { $0! }
    }

    /// `relative` is the input's path relative to its root (e.g. `trip/IMG_1.HEIC`).
    public mutating func name(for relative: String, format: MediaFormat) -> String {
        stem(for: relative) + "." + format.fileExtension
    }

    /// The unique stem (path without extension) for an input: its image is `STEM.EXT`, a video's
    /// outputs go in the folder `STEM`.
    public mutating func stem(for relative: String) -> String {
        reserve(relative, suffix: "")
    }

    private mutating func reserve(_ relative: String, suffix: String) -> String {
        let parts = relative.split(separator: "/").map(String.init).filter { !$0.isEmpty && $0 != "." && $0 != ".." }
        var folders = parts.dropLast().map(Self.clean)
        folders.removeAll { $0.isEmpty }
        let file = Self.clean(parts.last ?? "image")
        var stem = file
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { stem = String(file[..<dot]) }
        let prefix = folders.isEmpty ? "" : folders.joined(separator: "/") + "/"
        var candidate = prefix + stem + suffix
        var n = 2
        while taken.contains(candidate.lowercased()) {
            candidate = prefix + stem + "-\(n)" + suffix
            n += 1
        }
        taken.insert(candidate.lowercased())
        return candidate
    }

    /// Keeps letters, digits and `._-+@ `; replaces the rest (control characters, separators) with `_`,
    /// and never starts with a dot (no hidden outputs).
    static func clean(_ component: String) -> String {
        var out = String(component.unicodeScalars.map { scalar -> Character in
            let allowed = CharacterSet.alphanumerics.contains(scalar) || "._-+@ ".unicodeScalars.contains(scalar)
            return allowed && scalar.value >= 0x20 ? Character(scalar) : "_"
        })
        while out.hasPrefix(".") { out.removeFirst() }
        return String(out.prefix(200))
    }
}

import Foundation
import MediaCore

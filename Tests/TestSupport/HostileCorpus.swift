import Foundation

/// Damaged copies of real files, made deterministically from a seed: the malformed-input set that
/// `make test` runs a fast subset of and `make hostile` runs whole. File `i` is source
/// `i % sources.count` with damage `(i / sources.count) % 7`, so every source meets every kind of
/// damage once the count reaches seven times the sources; where and how much comes from a SplitMix64
/// stream seeded by `seed` and `i`. Each file's name says what was done to it, so a failure can be
/// remade from its name alone.
public enum HostileCorpus {
    public enum Damage: String, CaseIterable, Sendable {
        /// Cut at a header-sized or proportional offset.
        case truncate
        /// A few bits flipped, half of the time inside the first 4 KiB (where headers are).
        case flipBits
        /// A few header bytes (first 512) overwritten with random values.
        case corruptHeader
        /// Four bytes in the first KiB set to an extreme: 0xFFFFFFFF, 0x7FFFFFFF, 0 or 0x80000000
        /// (sizes, counts, dimensions and offsets read from there).
        case extremeField
        /// A block of 16 bytes to 4 KiB zeroed.
        case zeroBlock
        /// The bytes intact under another format's extension.
        case swapExtension
        /// Up to 4 KiB of random bytes after the end.
        case appendGarbage
    }

    public struct Made: Sendable {
        public let path: String
        public let source: String
        public let damage: Damage
    }

    /// SplitMix64: small, fast, and the same on every machine.
    public struct Random {
        var state: UInt64
        public init(state: UInt64) { self.state = state }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        public mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
    }

    /// The damaged bytes of `bytes` (named `name`) for file `index`, and the extension to give it.
    public static func damage(_ bytes: [UInt8], name: String, kind: Damage, seed: UInt64, index: Int,
                              otherExtensions: [String]) -> (bytes: [UInt8], ext: String) {
        var random = Random(state: seed ^ (UInt64(index) &* 0x2545_F491_4F6C_DD1D))
        var out = bytes
        let n = bytes.count
        let ext = (name as NSString).pathExtension
        guard n > 1 else { return (out, ext) }
        switch kind {
        case .truncate:
            let cuts = [1, 2, 4, 8, 12, 16, 24, 32, 64, 100, 256, 1024, n / 4, n / 2, 3 * n / 4, n - 16, n - 1].filter { $0 > 0 && $0 < n }
            out = Array(bytes.prefix(cuts[random.below(cuts.count)]))
        case .flipBits:
            for _ in 0..<(1 + random.below(8)) {
                let span = random.below(2) == 0 ? min(n, 4096) : n
                let at = random.below(span)
                out[at] ^= UInt8(1 << random.below(8))
            }
        case .corruptHeader:
            for _ in 0..<(1 + random.below(8)) {
                out[random.below(min(n, 512))] = UInt8(truncatingIfNeeded: random.next())
            }
        case .extremeField:
            let values: [[UInt8]] = [[0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0], [0x80, 0, 0, 0]]
            let value = values[random.below(values.count)]
            let at = random.below(max(1, min(n, 1024) - 4))
            for (k, byte) in value.enumerated() where at + k < n { out[at + k] = byte }
        case .zeroBlock:
            let length = min(n, 16 + random.below(4081))
            let at = random.below(n - length + 1)
            for k in at..<(at + length) { out[k] = 0 }
        case .swapExtension:
            let others = otherExtensions.filter { $0 != ext }
            return (out, others.isEmpty ? ext : others[random.below(others.count)])
        case .appendGarbage:
            out += (0..<(1 + random.below(4096))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        return (out, ext)
    }

    /// Writes `count` damaged files made from `sources` into `folder`.
    public static func make(from sources: [String], count: Int, seed: UInt64, into folder: String) throws -> [Made] {
        precondition(!sources.isEmpty)
        let extensions = Array(Set(sources.map { ($0 as NSString).pathExtension })).sorted()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var contents: [String: [UInt8]] = [:]
        var made: [Made] = []
        for index in 0..<count {
            let source = sources[index % sources.count]
            let kind = Damage.allCases[(index / sources.count) % Damage.allCases.count]
            if contents[source] == nil { contents[source] = Array(try Data(contentsOf: URL(fileURLWithPath: source))) }
            let name = (source as NSString).lastPathComponent
            let (bytes, ext) = damage(contents[source]!, name: name, kind: kind, seed: seed, index: index, otherExtensions: extensions)
            let stem = ((name as NSString).deletingPathExtension as NSString).lastPathComponent
            let path = folder + "/" + String(format: "%04d-", index) + kind.rawValue + "-" + stem + "." + ext
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            made.append(Made(path: path, source: source, damage: kind))
        }
        return made
    }

    /// The fixtures the damage starts from: every image and video fixture (and, for the whole set,
    /// the converted formats and the quirks), leaving out files over 2 MB so the set stays quick.
    public static func sources(whole: Bool) -> [String] {
        let folders = whole ? ["images", "video", "convert", "quirks"] : ["images", "video"]
        return folders.flatMap { folder in
            Fixture.names(in: folder).map { Fixture.root.appendingPathComponent("\(folder)/\($0)").path }
        }.filter { path in
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
            return size > 0 && size <= 2_000_000
        }
    }
}

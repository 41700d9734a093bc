import Foundation
import KimiMedia
import Testing
import TestSupport

/// Damaged files (``HostileCorpus``: truncations, bit flips, header and size-field corruption,
/// zeroed blocks, swapped extensions, trailing garbage) through the built `kimi-media prepare`, as a
/// user would run it on a folder: the process ends by itself (no signal), every input has exactly one
/// manifest line, every failure is a typed error naming its file, no file reaches the per-file time
/// limit, and the batch's peak memory stays bounded.
///
/// `make test` runs 63 files (9 fixtures × 7 kinds of damage). `make hostile` sets
/// `KIMI_MEDIA_HOSTILE_COUNT` (700 by default: every image, video, converted and quirk fixture under
/// every kind of damage, several times over) and, optionally, `KIMI_MEDIA_HOSTILE_SEED`.
@Suite("Hostile inputs", .serialized)
struct HostileInputTests {
    static let environment = ProcessInfo.processInfo.environment
    static let whole = environment["KIMI_MEDIA_HOSTILE_COUNT"].flatMap(Int.init)
    static let seed = environment["KIMI_MEDIA_HOSTILE_SEED"].flatMap(UInt64.init) ?? 20_261_129

    @Test func damagedFilesAreEachAccountedForWithATypedError() throws {
        let folder = try TemporaryFolder()
        let all = HostileCorpus.sources(whole: Self.whole != nil)
        // The fast subset: every fifth fixture (kinds of file spread across images and videos).
        let sources = Self.whole != nil ? all : all.enumerated().filter { $0.offset % 5 == 0 }.map(\.element)
        let count = Self.whole ?? sources.count * HostileCorpus.Damage.allCases.count
        let made = try HostileCorpus.make(from: sources, count: count, seed: Self.seed, into: folder.path + "/in")
        #expect(made.count == count)
        let out = folder.path + "/out"
        let limit = 60.0
        let started = Date()
        // /usr/bin/time (Debian's `time`, which `make hostile` installs) reports the peak resident size.
        let timed = FileManager.default.isExecutableFile(atPath: "/usr/bin/time")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: timed ? "/usr/bin/time" : try executable())
        process.arguments = (timed ? ["-f", "peak-kib %M", try executable()] : [])
            + ["prepare", "--quiet", "--file-timeout", "\(Int(limit))", "--out", out, folder.path + "/in"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)

        #expect(process.terminationReason == .exit, "killed by signal \(process.terminationStatus): \(err.suffix(2000))")
        #expect([0, 1].contains(process.terminationStatus), "exit \(process.terminationStatus): \(err.suffix(2000))")
        let (entries, partial) = try manifestLines(out + "/manifest.jsonl")
        #expect(!partial)
        #expect(entries.count == count, "\(entries.count) manifest lines for \(count) inputs")
        #expect(Set(entries.map(\.source)).count == entries.count, "a source has two lines")
        let bySource = Dictionary(entries.map { ($0.source, $0) }, uniquingKeysWith: { a, _ in a })
        for file in made {
            guard let entry = bySource[file.path] else {
                Issue.record("no manifest line for \(file.path)")
                continue
            }
            switch entry.status {
            case .ok:
                for output in entry.outputs { #expect(FileManager.default.fileExists(atPath: out + "/" + output.path), "\(output.path)") }
            case .error:
                guard let error = entry.error else {
                    Issue.record("\(file.path): an error line without an error")
                    continue
                }
                #expect(error.code != .timeout, "\(file.path) ran past \(limit) s")
                #expect(!error.message.isEmpty, "\(file.path): an empty message")
            case .skipped:
                break
            }
        }
        // Nothing unfinished is left visible: no temporary names beside the outputs.
        let leftovers = (FileManager.default.subpaths(atPath: out) ?? []).filter { $0.split(separator: "/").contains { $0.hasPrefix(".kimi-media-") } }
        #expect(leftovers.isEmpty, "\(leftovers.prefix(5))")
        var peakMiB: Int?
        if timed, let line = err.split(separator: "\n").last(where: { $0.hasPrefix("peak-kib ") }), let kib = Int(line.dropFirst(9)) {
            peakMiB = kib / 1024
            #expect(kib < 2 * 1024 * 1024, "the batch peaked at \(kib / 1024) MiB")
        }
        let failed = entries.filter { $0.status == .error }
        let codes = Dictionary(grouping: failed, by: { $0.error?.code.rawValue ?? "?" }).mapValues(\.count)
        print("hostile: \(count) damaged files (seed \(Self.seed)) in \(String(format: "%.1f", seconds)) s; "
              + "\(entries.count - failed.count) prepared, \(failed.count) refused "
              + codes.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
              + (peakMiB.map { "; peak \($0) MiB" } ?? ""))
    }

    @Test func theSameSeedMakesTheSameFiles() throws {
        let a = try TemporaryFolder(), b = try TemporaryFolder()
        let sources = Array(HostileCorpus.sources(whole: false).prefix(3))
        let first = try HostileCorpus.make(from: sources, count: 21, seed: 7, into: a.path)
        let second = try HostileCorpus.make(from: sources, count: 21, seed: 7, into: b.path)
        for (x, y) in zip(first, second) {
            #expect((x.path as NSString).lastPathComponent == (y.path as NSString).lastPathComponent)
            #expect(FileManager.default.contents(atPath: x.path) == FileManager.default.contents(atPath: y.path))
        }
        // Every kind of damage changed something (a swapped extension: the name; the others: bytes,
        // in at least one of its files: two flips of one bit may cancel, a zeroed block may have been zeros).
        for kind in HostileCorpus.Damage.allCases {
            let files = first.filter { $0.damage == kind }
            #expect(!files.isEmpty, "\(kind)")
            if kind == .swapExtension {
                #expect(files.allSatisfy { ($0.path as NSString).pathExtension != ($0.source as NSString).pathExtension })
            } else {
                #expect(files.contains { FileManager.default.contents(atPath: $0.path) != FileManager.default.contents(atPath: $0.source) },
                        "\(kind) changed nothing")
            }
        }
    }
}

import Foundation
import KimiMedia
import Testing
import TestSupport

/// A small filesystem of its own (tmpfs): a full disk and a read-only output folder as they really
/// happen, not simulated. Needs the right to mount (root here and in CI); elsewhere these tests
/// are skipped, and the file-size-limit test (`WriteFaultTests`) covers the write path.
final class ScratchMount: @unchecked Sendable {
    let path: String

    init?(size: String, readOnly: Bool = false) {
        path = NSTemporaryDirectory() + "kimi-media-mount-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.sh("mount -t tmpfs -o size=\(size)\(readOnly ? ",ro" : "") tmpfs '\(path)'") else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
    }

    func resize(_ size: String) -> Bool { Self.sh("mount -o remount,size=\(size) '\(path)'") }

    deinit {
        _ = Self.sh("umount '\(path)'")
        try? FileManager.default.removeItem(atPath: path)
    }

    static let available: Bool = {
        guard geteuid() == 0, let probe = ScratchMount(size: "64k") else { return false }
        _ = probe
        return true
    }()

    @discardableResult
    static func sh(_ command: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " 2>/dev/null"]
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

@Suite("prepare: disk full, read-only output, inputs changed under it")
struct FilesystemFaultTests {
    /// A disk that fills mid-batch: the files that do not fit fail with `io` (no space), the run
    /// stops clearly when even the manifest cannot grow, nothing half-written is visible; once
    /// there is room, a rerun makes the rest and redoes nothing.
    @Test(.enabled(if: ScratchMount.available, "needs the right to mount a tmpfs"))
    func aFullDiskLosesNothingAndARerunFinishes() throws {
        let folder = try TemporaryFolder()
        for i in 0..<6 { try folder.copy(Fixture.video("vp9.webm"), as: "in/v\(i).webm") }  // ~46 KB out each
        for name in ["png-rgb.png", "png-rgba.png", "jpeg-baseline.jpg"] { try folder.copy(Fixture.image(name), as: "in/\(name)") }
        let disk = try #require(ScratchMount(size: "200k"))
        let out = disk.path + "/out"
        let first = try runProcess(["prepare", "--quiet", "--jobs", "1", "--out", out, folder.path + "/in"])
        #expect(first.status == 1 && first.err.contains("No space left on device"), "\(first.err)")
        // Whatever is in the manifest is whole and says what happened; no hidden temporaries.
        let (entries, partial) = try manifestLines(out + "/manifest.jsonl")
        #expect(!partial)
        #expect(entries.contains { $0.status == .ok })
        for entry in entries where entry.status == .ok {
            for output in entry.outputs { #expect(FileManager.default.fileExists(atPath: out + "/" + output.path), "\(output.path)") }
        }
        for entry in entries where entry.status == .error { #expect(entry.error?.code == .io, "\(entry.source): \(String(describing: entry.error))") }
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(!names.contains { $0.hasPrefix(".kimi-media") }, "\(names)")
        let done = entries.filter { $0.status == .ok }.count
        // Room again: the rest is made, what was done is not redone.
        #expect(disk.resize("4m"))
        let rerun = try runProcess(["prepare", "--quiet", "--out", out, folder.path + "/in"])
        #expect(rerun.status == 0 && rerun.err.contains("\(done) of these were already done"), "\(rerun.err)")
        let final = try manifestLines(out + "/manifest.jsonl").entries
        #expect(final.count == 9 && final.allSatisfy { $0.status == .ok })
        for entry in final { for output in entry.outputs { #expect(FileManager.default.fileExists(atPath: out + "/" + output.path)) } }
    }

    /// An output folder on a read-only filesystem: one clear error naming it, exit 1, no work done.
    @Test(.enabled(if: ScratchMount.available, "needs the right to mount a tmpfs"))
    func aReadOnlyOutputFolderIsAClearError() throws {
        let disk = try #require(ScratchMount(size: "64k", readOnly: true))
        for out in [disk.path, disk.path + "/out"] {
            let result = try runProcess(["prepare", "--out", out, Fixture.image("png-rgb.png")])
            #expect(result.status == 1, "\(result.err)")
            #expect(result.err.contains(out) && (result.err.contains("Read-only file system") || result.err.contains("read only")), "\(result.err)")
        }
    }

    /// An input rewritten, or deleted, while its work is under way (held by the batch's
    /// `beforeFile` hook at its start, after its identity was taken): an `io` error saying so,
    /// nothing of it kept; a rerun makes it from the finished file.
    @Test(arguments: ["rewritten", "deleted"])
    func anInputChangedWhileBeingPrepared(_ how: String) async throws {
        let folder = try TemporaryFolder()
        try folder.copy(Fixture.image("png-rgb.png"), as: "in/a.png")
        try folder.copy(Fixture.video("vp9.webm"), as: "in/moving-3c1e.webm")
        let target = folder.path + "/in/moving-3c1e.webm"
        let out = folder.path + "/out"
        let hold = Hold()
        defer { hold.release() }
        var options = BatchOptions()
        options.beforeFile = { path in if path == target { hold.wait(upTo: 120) } }
        let batch = Task { try await BatchPreparer(preparer: Preparer(), jobs: 2).run([folder.path + "/in"], into: out, options: options) }
        #expect(await hold.started(within: 120))
        if how == "deleted" {
            try FileManager.default.removeItem(atPath: target)
        } else {
            var bytes = try Data(contentsOf: URL(fileURLWithPath: Fixture.video("vp9.webm")))
            bytes.append(contentsOf: [UInt8](repeating: 0, count: 100))
            try bytes.write(to: URL(fileURLWithPath: target + ".new"))
            #expect(rename(target + ".new", target) == 0)  // as an editor saves
        }
        hold.release()
        let result = try await batch.value
        #expect(result.summary.failed == 1)
        let entries = try manifestLines(out + "/manifest.jsonl").entries
        let moved = try #require(entries.first { $0.source.hasSuffix("moving-3c1e.webm") })
        #expect(moved.status == .error && moved.error?.code == .io && moved.outputs.isEmpty)
        #expect(moved.error?.message.contains(how == "deleted" ? "was deleted or moved while it was being prepared"
                                                   : "changed (written or replaced) while it was being prepared") == true,
                "\(String(describing: moved.error))")
        #expect(!FileManager.default.fileExists(atPath: out + "/moving-3c1e"))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: out)).contains { $0.hasPrefix(".kimi-media") })
        #expect(entries.first { $0.source.hasSuffix("a.png") }?.status == .ok)
        let rerun = try runProcess(["prepare", "--quiet", "--out", out, folder.path + "/in"])
        if how == "deleted" {
            #expect(rerun.status == 0, "\(rerun.err)")  // the file is gone: nothing left to do
        } else {
            #expect(rerun.status == 0 && rerun.err.contains("1 of these were already done"), "\(rerun.err)")
            let again = try manifestLines(out + "/manifest.jsonl").entries
            #expect(again.first { $0.source.hasSuffix("moving-3c1e.webm") }?.status == .ok)
            #expect(FileManager.default.fileExists(atPath: out + "/moving-3c1e/video.mp4"))
        }
    }
}

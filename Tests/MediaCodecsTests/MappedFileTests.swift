import Foundation
import MediaCore
import Testing
import TestSupport

@testable import MediaCodecs

/// An input truncated by another process while it is mapped: without the guard, the first read
/// past the new end raises SIGBUS and ends the whole process (every file of the batch with it).
@Suite("Mapped input truncated under the reader")
struct MappedFileTests {
    @Test func aReadPastTheNewEndGivesZerosAndAnIOError() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("big.bin", [UInt8](repeating: 0xAB, count: 64 * 1024))
        let file = try MappedFile(path: path)
        #expect(file.view.bytes[40_000] == 0xAB)  // mapped and read before the cut
        #expect(truncate(path, 100) == 0)
        let error = #expect(throws: MediaError.self) {
            try file.reading(stage: .decode) { v throws(MediaError) in
                // Pages past the end are gone: zeros, not a signal.
                #expect(v.bytes[50_000] == 0 && v.bytes[63_000] == 0)
                #expect(v.bytes[10] == 0xAB)
                return v.bytes[50_000]
            }
        }
        #expect(error?.code == .io && error?.stage == .decode && error?.path == path)
        #expect(error?.message.contains("truncated by something else while it was read") == true)
    }

    /// A file left alone reads as it is, and a second map of another file is guarded on its own.
    @Test func untouchedFilesReadNormally() throws {
        let folder = try TemporaryFolder()
        let a = try MappedFile(path: try folder.write("a.bin", [UInt8](repeating: 1, count: 10_000)))
        let pathB = try folder.write("b.bin", [UInt8](repeating: 2, count: 20_000))
        let b = try MappedFile(path: pathB)
        #expect(truncate(pathB, 0) == 0)
        #expect(try a.reading(stage: .probe) { v throws(MediaError) in v.bytes[9_999] } == 1)
        #expect(throws: MediaError.self) { try b.reading(stage: .probe) { v throws(MediaError) in v.bytes[15_000] } }
        #expect(try a.reading(stage: .probe) { v throws(MediaError) in v.bytes[0] } == 1)
    }

    /// What an image decode made from a file cut under it is not returned: the pipeline fails.
    @Test func aDecodeOfAFileCutMidwayFails() throws {
        let folder = try TemporaryFolder()
        let path = try folder.copy(Fixture.image("png-rgb.png"), as: "a.png")
        let info = try MediaProber.probe(path: path)
        let file = try MappedFile(path: path)
        #expect(truncate(path, 64) == 0)
        #expect(throws: MediaError.self) {
            try file.reading(stage: .decode) { v throws(MediaError) in
                try ImagePipeline.decode(v, info: info, plan: ImagePlan.make(for: info, options: ImageOptions()), path: path).0
            }
        }
    }
}

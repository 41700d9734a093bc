import Foundation
@testable import KimiMedia
import Testing
import TestSupport

@Suite("Batch preparation")
struct BatchTests {
    /// Threads follow the work: one file (or the tail of a batch) gets every core; a full batch
    /// shares them; a caller's floor is kept.
    @Test func threadsFollowTheWork() {
        #expect(BatchPreparer.threads(cores: 2, jobs: 2, running: 0, waiting: 1, atLeast: 1) == 2)    // a single video
        #expect(BatchPreparer.threads(cores: 2, jobs: 2, running: 0, waiting: 40, atLeast: 1) == 1)   // a folder
        #expect(BatchPreparer.threads(cores: 8, jobs: 8, running: 1, waiting: 1, atLeast: 1) == 4)    // the tail: two left
        #expect(BatchPreparer.threads(cores: 8, jobs: 2, running: 1, waiting: 5, atLeast: 1) == 4)    // --jobs 2 on 8 cores
        #expect(BatchPreparer.threads(cores: 2, jobs: 2, running: 1, waiting: 3, atLeast: 2) == 2)    // the caller's floor
    }

    @Test func namesAreSafeDeterministicAndUnique() {
        var names = OutputNames()
        #expect(names.name(for: "trip/IMG_1.HEIC", format: .jpeg) == "trip/IMG_1.jpg")
        #expect(names.name(for: "trip/IMG_1.png", format: .jpeg) == "trip/IMG_1-2.jpg")
        #expect(names.name(for: "../../etc/passwd", format: .png) == "etc/passwd.png")
        #expect(names.name(for: "/abs/.hidden.gif", format: .png) == "abs/hidden.png")
        #expect(names.name(for: "a\u{0}b\nc.webp", format: .webp) == "a_b_c.webp")
    }

    /// A file the API accepts keeps its name beside a converted one of the same stem (an AVIF's
    /// JPEG took `sample.jpg` and the real JPEG became `sample-4.jpg`).
    @Test func acceptedFormatsKeepTheirNames() {
        #expect(OutputNames.stems(for: ["sample.avif", "sample.heic", "sample.tiff", "sample.jpg"]) == ["sample-2", "sample-3", "sample-4", "sample"])
        #expect(OutputNames.stems(for: ["a/x.mkv", "a/x.mp4", "b/x.png"]) == ["a/x-2", "a/x", "b/x"])
        #expect(OutputNames.stems(for: ["a.jpg", "a.png"]) == ["a", "a-2"])  // both kept as they are: input order
    }

    /// The options' identity (what resume compares) is the library's: equal options, equal identity;
    /// any option that shapes outputs changes it; threads and limits do not.
    @Test func outputIdentityFollowsTheOptionsThatShapeOutputs() throws {
        let base = Preparer()
        #expect(base.outputIdentity == Preparer().outputIdentity && base.outputIdentity.hasPrefix("v2-") && base.outputIdentity.count == 19)
        #expect(Preparer(threadsPerImage: 7).outputIdentity == base.outputIdentity)
        var limits = ProbeOptions()
        limits.limits.maxPixels = 1_000
        #expect(Preparer(probeOptions: limits).outputIdentity == base.outputIdentity)
        let others = [Preparer(imageOptions: try ImageOptions(quality: 80)), Preparer(imageOptions: try ImageOptions(fit: .model)),
                      Preparer(videoOptions: try VideoOptions(frames: .model)), Preparer(videoOptions: try VideoOptions(budget: 5_000)),
                      Preparer(videoOptions: try VideoOptions(keepAudio: false)), Preparer(videoOptions: try VideoOptions(segments: .auto))]
        #expect(Set(others.map(\.outputIdentity) + [base.outputIdentity]).count == others.count + 1)
    }

    @Test func atomicWritesLeaveOnlyTheFinishedFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/deep/er/out.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)  // replaces
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/deep/er") == ["out.bin"])
        #expect(throws: MediaError.self) { try AtomicFile.write([1], to: "/proc/kimi-media-cannot-write/x") }
    }

    @Test func resultsComeInInputOrderWhateverTheJobs() async throws {
        let inputs = Fixture.names(in: "images").map(Fixture.image)
        for jobs in [1, 4] {
            let out = try TemporaryFolder()
            let result = try await BatchPreparer(preparer: Preparer(imageOptions: try ImageOptions(maxSide: 64)), jobs: jobs)
                .run(inputs, into: out.path)
            let entries = ManifestEntry.entries(inJSONLines: try Data(contentsOf: URL(fileURLWithPath: result.manifestPath)))
            #expect(result.written == inputs.count && result.summary.ok == inputs.count)
            #expect(entries.map(\.source) == inputs)
            #expect(entries.allSatisfy { $0.status == .ok }, "\(entries.filter { $0.status != .ok }.map { $0.error?.message ?? "" })")
        }
    }

    @Test func libraryPrepareReturnsBytesAndTokens() throws {
        let prepared = try Preparer(imageOptions: try ImageOptions(maxSide: 64)).prepare(image: Fixture.jpegOrientation(8))
        #expect(prepared.image.width == 64 && prepared.image.height == 43)
        #expect(prepared.image.format == .jpeg)
        #expect(prepared.estimate.tokens == ImageTokens(width: 64, height: 43).tokens + 5)
        #expect(prepared.plan.diagnostics.map(\.code) == ["orientation-applied"])
        #expect(throws: MediaError.self) { try Preparer().prepare(image: Fixture.video("h264.mp4")) }
    }
}

@Suite("Batch summary")
struct BatchSummaryTests {
    /// The summary's sizes are written without Foundation's printf: the same text as "%.1f" of the
    /// quotient over every order of size (a sweep of 20,000 sizes from bytes to terabytes, and the
    /// unit edges), and half up at an exact half, where printf's binary quotient falls either side.
    @Test func bytesAreWrittenAsPrintfWritesThem() {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var sizes: [Int64] = [0, 1, 999, 1000, 1049, 1050, 1051, 1150, 999_949, 999_950, 999_951, 1_000_000, 123_456_789, Int64(1) << 50]
        var n: Int64 = 1
        while sizes.count < 20_000 {
            n = (n &* 6364136223846793005 &+ 1442695040888963407) & 0x3fff_ffff_ffff
            sizes.append(n >> Int64(n % 40))
        }
        for size in sizes {
            var value = Double(size), unit = 0
            while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
            let scale = Int64(pow(1000.0, Double(unit)))
            if unit > 0 && (size % (scale / 10)) * 2 == scale / 10 {
                let up = (size / (scale / 10)) + 1
                #expect(BatchSummary.bytes(size) == "\(up / 10).\(up % 10) \(units[unit])", "\(size)")
                continue
            }
            let printf = unit == 0 ? "\(size) B" : String(format: "%.1f %@", value, units[unit])
            #expect(BatchSummary.bytes(size) == printf, "\(size)")
        }
    }
}

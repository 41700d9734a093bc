import Foundation
import FuzzHarness
import Testing
import TestSupport

/// The fuzz harnesses (Tests/Fuzz, `make fuzz`) do what they claim: each seed of each target is
/// taken the way the product takes it (so the fuzzer starts from inputs that reach deep code), and
/// every input the fuzzer found is now refused with a typed error instead of crashing.
@Suite("Fuzz harnesses: seeds taken, findings refused")
struct FuzzHarnessTests {
    @Test func imageSeedsArePrepared() {
        let harness = FuzzHarness(target: .image)
        for name in Fixture.names(in: "images") {
            let outcome = harness.run(FileManager.default.contents(atPath: Fixture.image(name)) ?? Data())
            guard case .accepted(let size) = outcome else {
                Issue.record("\(name): \(outcome)")
                continue
            }
            #expect(size.contains("x"), "\(name): \(size)")
        }
    }

    @Test func videoSeedsGiveFrames() {
        let harness = FuzzHarness(target: .video)
        for name in Fixture.names(in: "video") {
            let outcome = harness.run(FileManager.default.contents(atPath: Fixture.video(name)) ?? Data())
            #expect((1...4).map { FuzzOutcome.accepted("\($0) frames") }.contains(outcome), "\(name): \(outcome)")
        }
    }

    /// The built-in seeds are valid inputs: every manifest seed's lines are read, every API seed
    /// decodes (the rate-limit seed as the 429 it is), the stream seed assembles its answer.
    @Test func builtInSeedsAreTaken() {
        let manifest = FuzzHarness(target: .manifest)
        #expect(FuzzTarget.manifest.builtInSeeds.map { manifest.run($0) } == [.accepted("3 entries"), .accepted("1 entries")])
        let api = FuzzHarness(target: .api)
        let outcomes = FuzzTarget.api.builtInSeeds.map { api.run($0) }
        #expect(outcomes == [.accepted("FileObject"), .accepted("FileList"), .accepted("FileDeletion"), .accepted("EstimateResponse"),
                             .accepted("ChatResponse"), .accepted("ModelList"), .accepted("BalanceResponse"), .refused("http"),
                             .accepted("wait 2.0"), .accepted("wait 1.5"), .accepted("stream")])
    }

    /// The fuzzer's first manifest finding: each `ManifestFile` kept its descriptor when dropped
    /// without `close()`, until opens failed (EMFILE). 500 reads leave the descriptor count as it was.
    @Test func theManifestReaderKeepsNoDescriptor() throws {
        func descriptors() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count }
        let manifest = FuzzHarness(target: .manifest)
        let seed = FuzzTarget.manifest.builtInSeeds[0]
        _ = manifest.run(seed)
        let before = try descriptors()
        for _ in 0..<500 { _ = manifest.run(seed) }
        // Other tests open files at the same time: a leak would be 500, not a few.
        #expect(try descriptors() - before < 50)
    }

    /// Damaged answers end as typed errors, not as an answer: a stream cut before its last event,
    /// an event that is not a chunk, a 2xx body of the wrong shape.
    @Test func damagedAnswersAreRefused() {
        let api = FuzzHarness(target: .api)
        #expect(api.run(Data([0x08]) + Data("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\"}}]}\n\n".utf8)) == .refused("invalidResponse"))
        #expect(api.run(Data([0x08]) + Data("data: {oops\n\n".utf8)) == .refused("invalidResponse"))
        #expect(api.run(Data([0x00]) + Data("[1,2]".utf8)) == .refused("invalidResponse"))
    }

    /// Every `Fixtures/invalid/fuzz-*` input goes through each media harness without a crash, and
    /// the whole image path (probe, then decode) refuses it (which error, exactly, `InvalidFixtureTests`
    /// pins; a damaged AVIF whose header is sound is refused at decode).
    @Test func findingsAreRefused() {
        let found = Fixture.names(in: "invalid").filter { $0.hasPrefix("fuzz-") }
        #expect(found.count >= 4)
        let image = FuzzHarness(target: .image)
        let others = [FuzzHarness(target: .probe), FuzzHarness(target: .video)]
        for name in found {
            let data = FileManager.default.contents(atPath: Fixture.invalid(name)) ?? Data()
            for harness in others { _ = harness.run(data) }
            guard case .refused = image.run(data) else {
                Issue.record("\(name) was accepted")
                continue
            }
        }
    }
}

import CJPEGDecoder
import Foundation
import MediaCore
import Testing
import TestSupport

@testable import MediaCodecs

/// Our progressive decoder (jpeg_progressive.c: scans on several threads, then the accurate integer
/// IDCT) against libjpeg on baseline twins holding the very same coefficients (Fixtures/progressive,
/// made by jpegtran): the samples must be identical, byte for byte; anything damaged goes to libjpeg.
@Suite("Progressive JPEG decoded on several threads")
struct ProgressiveJPEGTests {
    static let pairs = ["420-restart", "444-refinements", "gray"]
    static func fixture(_ name: String) -> String { Fixture.root.appendingPathComponent("progressive/\(name).jpg").path }

    /// Whole planes (no ring) as kimi_jpeg_decode_planes writes them, and its status; `progressive`
    /// calls our decoder alone (-2: it declined).
    static func planes(_ bytes: [UInt8], threads: Int32, progressive: Bool = false) -> (status: Int32, planes: [[UInt8]]) {
        bytes.withUnsafeBufferPointer { data in
            var components: Int32 = 0
            var widths = [Int32](repeating: 0, count: 4), heights = widths, strides = widths, perRow = widths
            guard kimi_jpeg_plane_layout(data.baseAddress, data.count, &components, &widths, &heights, &strides, &perRow, nil, 0) == 0 else {
                return (-3, [])
            }
            let count = Int(components)
            let buffers = (0..<count).map { c in
                let size = Int(strides[c]) * (Int(heights[c]) + 32)
                let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
                buffer.initialize(repeating: 0, count: size)
                return buffer
            }
            defer { buffers.forEach { $0.deallocate() } }
            var bases: [UnsafeMutablePointer<UInt8>?] = buffers
            var rings = [Int32](repeating: 0, count: 4)
            let status = progressive
                ? kimi_jpeg_progressive_planes(data.baseAddress, data.count, threads, &bases, &strides, &heights, &rings, nil, nil)
                : kimi_jpeg_decode_planes(data.baseAddress, data.count, threads, &bases, &strides, &heights, &rings, nil, nil, nil, 0)
            // The visible samples of each row (the stride's padding past the width left out).
            let visible = (0..<count).map { c in
                (0..<Int(heights[c])).flatMap { y in UnsafeBufferPointer(start: buffers[c] + y * Int(strides[c]), count: Int(widths[c])) }
            }
            return (status, visible)
        }
    }

    static func bytes(_ path: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test(arguments: pairs)
    func samplesEqualLibjpegsOnTheBaselineTwin(_ name: String) throws {
        let progressive = try Self.bytes(Self.fixture(name)), baseline = try Self.bytes(Self.fixture(name + "-baseline"))
        let reference = Self.planes(baseline, threads: 1)
        #expect(reference.status == 0)
        // Our decoder took it (0, not -2), with 1 to 4 workers: the same samples as libjpeg's.
        for threads: Int32 in [1, 2, 3, 4] {
            let ours = Self.planes(progressive, threads: threads, progressive: true)
            #expect(ours.status == 0, "\(name), \(threads) threads")
            #expect(ours.planes == reference.planes, "\(name), \(threads) threads")
        }
        // And libjpeg on the progressive file itself agrees (kimi_jpeg_decode_planes, 1 thread).
        #expect(Self.planes(progressive, threads: 1).planes == reference.planes)
    }

    /// Through the whole pipeline (decode while resizing, then encode): the same JPEG bytes out of
    /// the progressive file and its baseline twin.
    @Test(arguments: pairs)
    func pipelineOutputsAreIdentical(_ name: String) throws {
        var outputs: [[UInt8]] = []
        for path in [Self.fixture(name), Self.fixture(name + "-baseline")] {
            let info = try MediaProber.probe(path: path)
            let plan = ImagePlan.make(for: info, options: try ImageOptions(maxSide: 400))
            #expect(plan.jpegScaleDenominator == 1 && plan.width == 400)
            let encoded = try ImagePipeline.run(path: path, info: info, plan: plan, resampler: Resampler(threads: 2))
            #expect(!encoded.diagnostics.contains { $0.code == "decode-warning" })
            outputs.append(encoded.bytes)
        }
        #expect(outputs[0] == outputs[1], "\(name)")
    }

    /// Damage: a cut file, bytes changed, a marker planted, a span removed. Our decoder declines
    /// (-2, libjpeg then decodes it with its warnings) or stops after rows were handed on (-1, the
    /// pipeline starts again with libjpeg); when it does decode, the samples are libjpeg's. Never a
    /// crash, never other samples.
    @Test func damagedFilesAreLibjpegsOrIdentical() throws {
        var random = HostileCorpus.Random(state: 29)
        var decoded = 0, declined = 0
        for name in Self.pairs {
            let source = try Self.bytes(Self.fixture(name))
            for round in 0..<40 {
                var bytes = source
                switch round % 4 {
                case 0: bytes = Array(bytes.prefix(random.below(bytes.count - 200) + 200))
                case 1: for _ in 0..<4 { bytes[random.below(bytes.count - 300) + 300] = UInt8(truncatingIfNeeded: random.next()) }
                case 2:
                    let at = random.below(bytes.count - 302) + 300
                    bytes[at] = 0xFF
                    bytes[at + 1] = [0xD0, 0xD3, 0xD9, 0xDA, 0xC4, 0xFF, 0x00, 0xB1][random.below(8)]
                default:
                    let at = random.below(bytes.count - 400) + 300
                    bytes.removeSubrange(at ..< at + random.below(60))
                }
                let theirs = Self.planes(bytes, threads: 1)
                let ours = Self.planes(bytes, threads: 2)
                if ours.status == -1 { declined += 1; continue }  // rows handed on, then damage: the caller redoes it with libjpeg
                #expect(ours.status == theirs.status, "\(name) round \(round)")
                if theirs.status >= 0 { #expect(ours.planes == theirs.planes, "\(name) round \(round)") }
                if Self.planes(bytes, threads: 2, progressive: true).status == 0 { decoded += 1 } else { declined += 1 }
            }
        }
        // Both ways were taken: some damage is harmless (bytes after the image, a changed sample).
        #expect(decoded > 0 && declined > 0, "decoded \(decoded), declined \(declined)")
    }
}

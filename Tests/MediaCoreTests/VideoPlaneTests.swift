@testable import MediaCore
import Testing

/// The video frame passes of our own: the exact-half 2×2 box (``HalfScale``) and the integer range
/// expansion, against values worked by hand (the one-pass matrix, in C: `PixelKernelTests`).
@Suite("Video plane passes")
struct VideoPlaneTests {
    @Test func halfScaleAveragesAndExpandsTheRange() {
        // 4×2 source: two 2×2 blocks, means 16 and 235 (limited black and white), and a rounding case.
        let source: [UInt8] = [16, 16, 234, 236,
                               16, 16, 235, 235]
        let out = Plane(width: 2, height: 1, channels: 1)
        source.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 4, into: out, table: .lumaLimited) }
        #expect(out[0, 0, 0] == 0 && out[1, 0, 0] == 255)
        let plain = Plane(width: 2, height: 1, channels: 1)
        let mixed: [UInt8] = [10, 11, 100, 101,
                              12, 13, 102, 104]
        mixed.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 4, into: plain, table: .full) }
        #expect(plain[0, 0, 0] == 12 && plain[1, 0, 0] == 102)  // 11.5 → 12 (half up), 101.75 → 102
        // Limited chroma: 128 stays; 16 is 0.5 exactly (rounded up), 240 is 255.
        let chroma = Plane(width: 3, height: 1, channels: 1)
        let c: [UInt8] = [128, 128, 16, 16, 240, 240, 128, 128, 16, 16, 240, 240]
        c.withUnsafeBufferPointer { HalfScale.halve($0.baseAddress!, stride: 6, into: chroma, table: .chromaLimited) }
        #expect((0..<3).map { chroma[$0, 0, 0] } == [128, 1, 255])
    }

    /// The integer range expansion the vectorised pass uses is the formula, sample for sample.
    @Test func integerExpansionIsTheFormula() {
        for sample in 0..<256 {
            let v = Int32(sample)
            #expect(VideoRange.Expansion.luma(v) == Int32(VideoRange.expand(Double(sample), chroma: false)), "luma \(sample)")
            #expect(VideoRange.Expansion.chroma(v) == Int32(VideoRange.expand(Double(sample), chroma: true)), "chroma \(sample)")
            #expect(VideoRange.Expansion.identity(v) == v)
        }
    }
}

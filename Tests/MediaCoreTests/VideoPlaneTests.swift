@testable import MediaCore
import Testing

/// The integer range expansion, against the formula (the C passes that use it: `PixelKernelTests`).
@Suite("Video plane passes")
struct VideoPlaneTests {
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
